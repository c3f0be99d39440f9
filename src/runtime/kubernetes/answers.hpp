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

/// A run's Job as the port sees it, from the Job and its pods.
struct JobState {
  bool finished = false;           // Complete or Failed
  bool deadline_exceeded = false;  // the cluster stopped it at activeDeadlineSeconds
  bool pod_started = false;        // a pod's container has run or runs (its log exists)
  int exit_code = 0;               // the run container's, when it terminated
  bool exit_known = false;
  bool oom_killed = false;
  std::optional<std::int64_t> started_at;   // unix seconds: the Job's startTime
  std::optional<std::int64_t> finished_at;  // completionTime, or the container's end
  std::string failure;                      // why a pod cannot start (ErrImagePull, …)
};

/// How a Job stands; never throws, whatever the answers hold.
JobState job_state_of(const Json& job, const Json& pods);

/// The port's view of a Job: running until it finishes, then exited.
ContainerInfo job_info_of(const Json& job);

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
