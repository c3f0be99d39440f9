#include "runtime/swarm_runtime.hpp"

#include <algorithm>
#include <charconv>
#include <thread>

#include "core/strings.hpp"
#include "docker_api_detail.hpp"
#include "docker_json.hpp"
#include "swarm_json.hpp"
#include "unix_http.hpp"

namespace orsa::runtime {
namespace {

using detail::status_error;

// The replicas a service was created with: start() scales back to them.
constexpr const char* kLabelReplicas = "orsa.replicas";
constexpr std::int32_t kMaxReplicas = 64;

std::int32_t replicas_label(const std::map<std::string, std::string>& labels) {
  const auto it = labels.find(kLabelReplicas);
  if (it == labels.end()) return 1;
  std::int32_t n = 1;
  const std::string& text = it->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc() && end == text.data() + text.size() && n >= 1 && n <= kMaxReplicas ? n
                                                                                              : 1;
}

bool is_starting(const std::string& state) {
  static constexpr std::string_view kStarting[] = {"new",      "allocated", "pending", "assigned",
                                                   "accepted", "preparing", "ready",   "starting"};
  return std::ranges::find(kStarting, state) != std::end(kStarting);
}

// The port's view of a service: running while a replica answers somewhere;
// exited when scaled to zero; restarting while the engine replaces failed
// tasks; created while the first ones start.
ContainerInfo info_of(const swarm::Service& service, const std::vector<swarm::Task>& tasks,
                      const std::map<std::string, swarm::Node>& nodes) {
  ContainerInfo info;
  info.id = service.id;
  info.name = service.name;
  info.image = service.image;
  info.labels = service.labels;
  bool starting = false;
  const swarm::Task* last_failed = nullptr;
  for (const auto& task : tasks) {
    if (task.desired_state != "running") {
      if ((task.state == "failed" || task.state == "rejected") &&
          (last_failed == nullptr || task.updated_at > last_failed->updated_at)) {
        last_failed = &task;
      }
      continue;
    }
    if (task.state == "running" && task.published_port != 0) {
      const auto node = nodes.find(task.node_id);
      if (node != nodes.end() && !node->second.address.empty()) {
        info.endpoints.push_back({node->second.address, task.published_port});
      }
    } else if (is_starting(task.state) || task.state == "running") {
      starting = true;
    }
  }
  std::ranges::sort(info.endpoints, {}, [](const Endpoint& e) { return std::tie(e.host, e.port); });
  if (!info.endpoints.empty()) {
    info.state = ContainerState::kRunning;
    info.host_ip = info.endpoints.front().host;
    info.host_port = info.endpoints.front().port;
  } else if (service.replicas == 0) {
    info.state = ContainerState::kExited;
  } else if (last_failed != nullptr && !starting) {
    info.state = ContainerState::kRestarting;
    info.exit_code = last_failed->exit_code;
  } else {
    info.state = ContainerState::kCreated;
  }
  return info;
}

}  // namespace

SwarmRuntime::SwarmRuntime(SwarmOptions options)
    : options_(std::move(options)),
      http_(std::make_unique<detail::UnixHttp>(options_.socket_path, options_.connect_timeout)),
      engine_(DockerApiOptions{.socket_path = options_.socket_path,
                               .api_version = options_.api_version,
                               .connect_timeout = options_.connect_timeout,
                               .call_timeout = options_.call_timeout}) {}

SwarmRuntime::~SwarmRuntime() = default;

std::string SwarmRuntime::path(std::string_view rest) const {
  return "/v" + options_.api_version + std::string(rest);
}

Result<std::string> SwarmRuntime::get(const std::string& rest, const std::string& what) const {
  auto reply = http_->request("GET", path(rest), {}, {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(status_error(reply->status, reply->body, what));
  return std::move(reply->body);
}

Result<std::string> SwarmRuntime::version() {
  // GET /swarm answers only on a manager: a worker or a lone engine refuses.
  if (auto swarm = get("/swarm", "swarm"); !swarm) {
    return fail(Error::unavailable("not a swarm manager: " + swarm.error().message));
  }
  return engine_.version();
}

Result<void> SwarmRuntime::pull(const std::string& image, const RegistryAuth& auth) {
  if (image.empty() || image.find_first_of(" \t\r\n") != std::string::npos) {
    return fail(Error::invalid_argument("invalid image reference '" + image + "'"));
  }
  // The nodes pull when a task starts there: the credential goes with the service.
  std::lock_guard lock(auth_mutex_);
  auth_by_image_.insert_or_assign(image, auth);
  return {};
}

Result<std::string> SwarmRuntime::run(const ContainerSpec& spec) {
  if (auto valid = validate_spec(spec); !valid) return fail(valid.error());
  if (spec.replicas < 1 || spec.replicas > kMaxReplicas) {
    return fail(Error::invalid_argument("replicas must be 1 to " + std::to_string(kMaxReplicas)));
  }
  ContainerSpec service = spec;
  service.labels[kLabelReplicas] = std::to_string(spec.replicas);
  const auto headers = registry_auth_headers(spec.image);
  const swarm::ServiceOptions service_options{.replicas = spec.replicas,
                                              .health_command = options_.health_command};
  auto created =
      http_->request("POST", path("/services/create"),
                     swarm::service_spec(service, service_options), headers, options_.call_timeout);
  if (!created) return fail(created.error());
  if (created->status != 201 && created->status != 200) {
    return fail(status_error(created->status, created->body, "create service " + spec.name));
  }
  return swarm::parse_created_id(created->body);
}

std::vector<std::string> SwarmRuntime::registry_auth_headers(const std::string& image) {
  std::lock_guard lock(auth_mutex_);
  const auto auth = auth_by_image_.find(image);
  // Carries the password: never logged, never part of an error message.
  if (auth == auth_by_image_.end() ||
      (auth->second.username.empty() && auth->second.password.empty())) {
    return {};
  }
  return {"X-Registry-Auth: " + docker::registry_auth(auth->second)};
}

Result<ContainerInfo> SwarmRuntime::inspect(const std::string& id) {
  if (auto ok = detail::check_id(id); !ok) return fail(ok.error());
  auto body = get("/services/" + id, "inspect service " + id);
  if (!body) return fail(body.error());
  return describe(*body);
}

Result<ContainerInfo> SwarmRuntime::describe(const std::string& service_json) {
  auto service = swarm::parse_service(service_json);
  if (!service) return fail(service.error());
  const std::string filter = R"({"service":[")" + service->id + R"("]})";
  auto tasks_body = get("/tasks?filters=" + percent_encode(filter), "tasks of " + service->id);
  if (!tasks_body) return fail(tasks_body.error());
  auto tasks = swarm::parse_tasks(*tasks_body);
  if (!tasks) return fail(tasks.error());
  auto nodes_body = get("/nodes", "nodes");
  if (!nodes_body) return fail(nodes_body.error());
  auto nodes = swarm::parse_nodes(*nodes_body);
  if (!nodes) return fail(nodes.error());
  std::map<std::string, swarm::Node> by_id;
  for (auto& node : *nodes) by_id.emplace(node.id, std::move(node));
  return info_of(*service, *tasks, by_id);
}

Result<void> SwarmRuntime::scale(const std::string& id, std::optional<std::int32_t> replicas) {
  if (auto ok = detail::check_id(id); !ok) return fail(ok.error());
  // An update names the version it read; a concurrent change makes it fail
  // with a conflict, and it is read and tried again.
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    auto body = get("/services/" + id, "inspect service " + id);
    if (!body) return fail(body.error());
    auto service = swarm::parse_service(*body);
    if (!service) return fail(service.error());
    const std::int32_t want = replicas.value_or(replicas_label(service->labels));
    if (service->replicas == want) return {};
    auto spec = swarm::with_replicas(service->spec, want);
    if (!spec) return fail(spec.error());
    auto reply = http_->request(
        "POST", path("/services/" + id + "/update?version=" + std::to_string(service->version)),
        *spec, {}, options_.call_timeout);
    if (!reply) return fail(reply.error());
    if (reply->status == 200) return {};
    Error error = status_error(reply->status, reply->body, "scale service " + id);
    // dockerd answers an outdated version with 500 "update out of sequence".
    const bool outdated = reply->body.find("out of sequence") != std::string::npos;
    if (!outdated || attempt == kAttempts) return fail(std::move(error));
  }
}

Result<void> SwarmRuntime::start(const std::string& id) {
  return scale(id, std::nullopt);
}

Result<void> SwarmRuntime::stop(const std::string& id, std::chrono::seconds grace) {
  // Each task gets the service's stop grace period (StopGracePeriod).
  static_cast<void>(grace);
  return scale(id, 0);
}

Result<void> SwarmRuntime::remove(const std::string& id) {
  if (auto ok = detail::check_id(id); !ok) return fail(ok.error());
  auto reply = http_->request("DELETE", path("/services/" + id), {}, {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status == 200 || reply->status == 204 || reply->status == 404) return {};
  return fail(status_error(reply->status, reply->body, "remove service " + id));
}

Result<std::vector<ContainerInfo>> SwarmRuntime::list(
    const std::map<std::string, std::string>& labels) {
  auto body = get("/services?filters=" + percent_encode(docker::label_filters(labels, false)),
                  "list services");
  if (!body) return fail(body.error());
  auto services = swarm::parse_services(*body);
  if (!services) return fail(services.error());
  std::vector<ContainerInfo> out;
  for (const auto& service : *services) {
    const bool matches = std::ranges::all_of(labels, [&](const auto& kv) {
      const auto it = service.labels.find(kv.first);
      return it != service.labels.end() && it->second == kv.second;
    });
    if (!matches) continue;
    auto info = inspect(service.id);
    if (!info && info.error().code == ErrorCode::kNotFound) continue;  // removed meanwhile
    if (!info) return fail(info.error());
    out.push_back(std::move(*info));
  }
  return out;
}

Result<void> SwarmRuntime::logs(const std::string& id, const LogOptions& options,
                                const std::function<bool(const LogLine&)>& sink) {
  if (auto ok = detail::check_id(id); !ok) return fail(ok.error());
  // Every replica's lines, gathered by the manager from the nodes.
  return detail::read_logs(*http_, path("/services/" + id), options, sink,
                           {.call_timeout = options_.call_timeout});
}

Result<void> SwarmRuntime::events(const std::map<std::string, std::string>& labels,
                                  const std::function<bool(const Event*)>& sink) {
  // A manager streams the events of its own node's containers only; tasks
  // that die elsewhere are seen by the reconciler's periodic pass.
  static_cast<void>(labels);
  while (sink(nullptr)) std::this_thread::sleep_for(detail::UnixHttp::kTickInterval);
  return {};
}

std::int32_t SwarmRuntime::max_replicas() const {
  return kMaxReplicas;
}

Result<void> SwarmRuntime::remove_image(const std::string& image) {
  // Images live on the nodes that ran them; a manager cannot remove them
  // elsewhere. Each node's own image pruning frees them.
  static_cast<void>(image);
  return {};
}

Result<void> SwarmRuntime::create_network(const NetworkSpec& spec) {
  if (auto ok = detail::check_id(spec.name); !ok) return fail(ok.error());
  auto reply = http_->request("POST", path("/networks/create"), swarm::overlay_network_body(spec),
                              {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status == 201 || reply->status == 200) return {};
  Error error = status_error(reply->status, reply->body, "create network " + spec.name);
  if (error.code != ErrorCode::kConflict) return fail(std::move(error));
  auto existing = engine_.list_networks({});
  if (!existing) return fail(existing.error());
  const auto it = std::ranges::find(*existing, spec.name, &NetworkInfo::name);
  if (it == existing->end()) return fail(std::move(error));
  const auto egress = it->labels.find("orsa.egress");
  if (egress == it->labels.end() || (egress->second == "true") != spec.egress) {
    return fail(Error::conflict("network " + spec.name + " exists with other egress"));
  }
  return {};
}

Result<void> SwarmRuntime::remove_network(const std::string& name) {
  return engine_.remove_network(name);
}

Result<std::vector<NetworkInfo>> SwarmRuntime::list_networks(
    const std::map<std::string, std::string>& labels) {
  return engine_.list_networks(labels);
}

}  // namespace orsa::runtime
