#pragma once

// What the Kubernetes API server answers, as the runtime reads it: a
// Deployment with its pods as the port's ContainerInfo, a watch line as an
// event. The server is trusted for what it says, not for its shape: a field
// missing or of another type reads as absent, and nothing here throws.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.hpp"
#include "runtime/runtime.hpp"

namespace orsa::runtime::kubernetes {

/// The string at `at`; "" when it is absent or not a string.
std::string text_at(const Json& doc, const Json::json_pointer& at);

/// An object's labels with the annotations that hold values no label may.
std::map<std::string, std::string> labels_of(const Json& object);

/// The port's view of a Deployment and its pods: running while a ready pod
/// answers; exited when scaled to zero; restarting while pods fail; created
/// while the first ones start.
ContainerInfo info_of(const Json& deployment, const Json& pods);

/// One line of a Deployment watch.
struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  std::string name;
  std::string resource_version;
  std::map<std::string, std::string> labels;
  std::int32_t wanted = 1;  // spec.replicas
  std::int32_t ready = 0;   // status.readyReplicas
};

/// The event of a watch line; none when the line is not one.
std::optional<WatchEvent> parse_watch_event(std::string_view line);

}  // namespace orsa::runtime::kubernetes
