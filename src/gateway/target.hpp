#pragma once

#include <optional>
#include <string_view>

namespace orsa::gateway {

/// /<owner>/<project><rest>, or <rest> on <project>--<owner>.<domain>:
/// views into the request.
struct Target {
  std::string_view owner;
  std::string_view project;
  std::string_view prefix;    // "/<owner>/<project>"; empty in domain mode
  std::string_view upstream;  // "<rest>?<query>" as sent upstream; rest starts with '/'
  bool needs_slash = false;   // "/<owner>/<project>" or "…?query": redirect
};

/// Path mode: "/<owner>/<project><rest>"; nullopt when the target has no project.
std::optional<Target> parse_target(std::string_view target);

/// Domain mode: the Host names the service, the whole target goes upstream.
std::optional<Target> parse_host_target(std::string_view target, std::string_view host,
                                        std::string_view domain);

}  // namespace orsa::gateway
