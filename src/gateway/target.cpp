#include "target.hpp"

#include <algorithm>

#include "gateway/gateway.hpp"
#include "gateway/service_urls.hpp"

namespace orsa::gateway {

std::optional<Target> parse_target(std::string_view target) {
  if (!target.starts_with(kPathPrefix)) return std::nullopt;
  const std::size_t path_end = std::min(target.find('?'), target.size());
  const std::string_view path = target.substr(0, path_end);
  Target t;
  const std::size_t owner_end = path.find('/', kPathPrefix.size());
  if (owner_end == std::string_view::npos) return std::nullopt;
  t.owner = path.substr(kPathPrefix.size(), owner_end - kPathPrefix.size());
  const std::size_t project_end = std::min(path.find('/', owner_end + 1), path.size());
  t.project = path.substr(owner_end + 1, project_end - owner_end - 1);
  if (t.owner.empty() || t.project.empty()) return std::nullopt;
  t.prefix = target.substr(0, project_end);
  t.needs_slash = project_end == path.size();
  t.upstream = target.substr(project_end);
  return t;
}

std::optional<Target> parse_host_target(std::string_view target, std::string_view host,
                                        std::string_view domain) {
  if (!target.starts_with('/')) return std::nullopt;
  const auto name = parse_service_host(host, domain);
  if (!name) return std::nullopt;
  return Target{.owner = name->owner, .project = name->project, .upstream = target};
}

}  // namespace orsa::gateway
