#include "swarm_json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/random.hpp"
#include "core/strings.hpp"
#include "json_fields.hpp"

namespace orsa::runtime::swarm {
namespace {

using Json = nlohmann::json;
using detail::string_at;
using detail::string_map;

constexpr std::int64_t kSecondNs = 1'000'000'000;

Result<Json> parse_json(std::string_view text, const char* what) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    return fail(Error::internal(std::string("the swarm sent malformed JSON for ") + what));
  }
  return doc;
}

// /tmp as a tmpfs the service's user can write. A "tmpfs" mount of a
// service is root's 0755 on dockerd 20.10 (its swarm executor drops
// TmpfsOptions.Mode), so the local volume driver mounts the tmpfs instead,
// with the mode as a mount option; each task gets its own anonymous volume.
Json tmpfs_volume(const std::string& target, std::int64_t size_bytes) {
  return {{"Type", "volume"},
          {"Target", target},
          {"VolumeOptions",
           {{"DriverConfig",
             {{"Name", "local"},
              {"Options",
               {{"type", "tmpfs"},
                {"device", "tmpfs"},
                {"o", "size=" + std::to_string(size_bytes) + ",mode=1777,nosuid,nodev"}}}}}}}};
}

Json tmp_mount(std::int64_t size_bytes) {
  return tmpfs_volume("/tmp", size_bytes);
}

Json limits(std::int64_t memory_bytes, double cpus, std::int64_t pids) {
  const auto nano_cpus = static_cast<std::int64_t>(std::llround(cpus * 1e9));
  // Reserved as much as limited: the scheduler places a task only on a node
  // that has room for it.
  return {{"Limits", {{"NanoCPUs", nano_cpus}, {"MemoryBytes", memory_bytes}, {"Pids", pids}}},
          {"Reservations", {{"NanoCPUs", nano_cpus}, {"MemoryBytes", memory_bytes}}}};
}

Json json_file_log(std::int64_t max_bytes) {
  return {{"Name", "json-file"},
          {"Options", {{"max-size", std::to_string(max_bytes)}, {"max-file", "1"}}}};
}

// As on docker-api: limits on open files and processes.
Json ulimits(std::int64_t open_files, std::int64_t processes) {
  return Json::array({{{"Name", "nofile"}, {"Soft", open_files}, {"Hard", open_files}},
                      {{"Name", "nproc"}, {"Soft", processes}, {"Hard", processes}}});
}

Json container_spec(const ContainerSpec& spec, const ServiceOptions& options) {
  Json env = Json::array();
  for (const auto& [key, value] : spec.env) env.push_back(concat({key, "=", value}));
  Json c = {
      {"Image", spec.image},
      {"Labels", spec.labels},
      {"Env", std::move(env)},
      {"ReadOnly", spec.read_only_root},
      {"Mounts", Json::array({tmp_mount(spec.tmp_size_bytes)})},
      // As on docker-api: no capability at all.
      {"CapabilityDrop", Json::array({"ALL"})},
      {"Ulimits", ulimits(spec.open_files_limit, spec.processes_limit)},
      {"StopGracePeriod", 10 * kSecondNs},
  };
  if (!spec.user.empty()) c["User"] = spec.user;
  if (!spec.command.empty()) c["Command"] = spec.command;
  if (!options.health_command.empty()) {
    Json test = Json::array({"CMD"});
    for (const auto& part : options.health_command) test.push_back(part);
    c["Healthcheck"] = {{"Test", std::move(test)},
                        {"Interval", 2 * kSecondNs},
                        {"Timeout", 2 * kSecondNs},
                        {"StartPeriod", 60 * kSecondNs},
                        {"Retries", 3}};
  }
  return c;
}

}  // namespace

std::string service_spec(const ContainerSpec& spec, const ServiceOptions& options) {
  Json task = {
      {"ContainerSpec", container_spec(spec, options)},
      {"Resources", limits(spec.memory_bytes, spec.cpus, spec.pids_limit)},
      // The engine restarts a failed task, on another node if its own is lost.
      {"RestartPolicy", {{"Condition", "on-failure"}, {"Delay", kSecondNs}, {"MaxAttempts", 0}}},
      {"LogDriver", json_file_log(spec.log_max_bytes)},
  };
  if (!spec.network.empty() && spec.network != kNoNetwork) {
    task["Networks"] = Json::array({{{"Target", spec.network}}});
  }
  const Json update = {{"Parallelism", 1},
                       {"Order", "start-first"},
                       {"FailureAction", "rollback"},
                       {"Monitor", 5 * kSecondNs}};
  Json body = {
      {"Name", service_name(spec.name)},
      {"Labels", spec.labels},
      {"TaskTemplate", std::move(task)},
      {"Mode", {{"Replicated", {{"Replicas", options.replicas}}}}},
      {"UpdateConfig", update},
      {"RollbackConfig", {{"Parallelism", 1}, {"Order", "start-first"}}},
      // No routing mesh (it needs IPVS) and no virtual IP: each task
      // publishes its port on its own node, on a port the engine picks.
      {"EndpointSpec",
       {{"Mode", "dnsrr"},
        {"Ports", Json::array({{{"Protocol", "tcp"},
                                {"TargetPort", spec.container_port},
                                {"PublishMode", "host"}}})}}},
  };
  return body.dump();
}

std::string job_service_spec(const JobSpec& spec, const JobServiceOptions& options) {
  auto env = spec.env;
  env["ORSA_INPUT"] = "/job/in/input.json";
  env["ORSA_OPTIONS"] = "/job/in/options.json";
  env["ORSA_OUTPUT_DIR"] = kJobOutputDir;
  env["ORSA_JOB_URL"] = options.job_url;
  env["ORSA_JOB_TOKEN_FILE"] = kJobTokenFile;
  Json env_list = Json::array();
  for (const auto& [key, value] : env) env_list.push_back(concat({key, "=", value}));
  // Room for the input twice over: the runner writes a temporary copy first.
  const auto input_room = static_cast<std::int64_t>(2 * options.input_bytes + 1024 * 1024);
  Json c = {
      {"Image", spec.image},
      {"Labels", spec.labels},
      {"Env", std::move(env_list)},
      {"ReadOnly", true},
      {"Mounts", Json::array({tmp_mount(spec.tmp_size_bytes), tmpfs_volume("/job/in", input_room),
                              tmpfs_volume(kJobOutputDir, spec.max_output_bytes)})},
      {"CapabilityDrop", Json::array({"ALL"})},
      {"Ulimits", ulimits(spec.open_files_limit, spec.processes_limit)},
      {"StopGracePeriod", 10 * kSecondNs},
      {"Secrets",
       Json::array(
           {{{"File", {{"Name", "orsa-job-token"}, {"UID", "0"}, {"GID", "0"}, {"Mode", 0444}}},
             {"SecretID", options.token_secret_id},
             {"SecretName", options.token_secret}}})},
  };
  if (!spec.user.empty()) c["User"] = spec.user;
  if (!spec.command.empty()) c["Command"] = spec.command;
  Json task = {{"ContainerSpec", std::move(c)},
               {"Resources", limits(spec.memory_bytes, spec.cpus, spec.pids_limit)},
               // A run is tried once: a model that fails fails the run.
               {"RestartPolicy", {{"Condition", "none"}}},
               {"LogDriver", json_file_log(spec.log_max_bytes)},
               {"Networks", Json::array({{{"Target", options.network}}})}};
  Json body = {{"Name", service_name(spec.name)},
               {"Labels", spec.labels},
               {"TaskTemplate", std::move(task)},
               {"Mode", {{"Replicated", {{"Replicas", 1}}}}}};
  return body.dump();
}

std::string secret_body(std::string_view name, const std::map<std::string, std::string>& labels,
                        std::string_view data) {
  return Json{{"Name", name}, {"Labels", labels}, {"Data", base64_encode(data)}}.dump();
}

std::string service_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == '_' || c == '.') c = '-';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string overlay_network_body(const NetworkSpec& spec) {
  // Never "Internal": dockerd publishes no host-mode port of a task on an
  // internal overlay (it has no gateway bridge there), so the gateway could
  // not reach it. A project without egress keeps that intent in a label;
  // denying it is the nodes' firewall's job on Swarm (docs/cluster.md).
  auto labels = spec.labels;
  labels["orsa.egress"] = spec.egress ? "true" : "false";
  return Json{{"Name", spec.name},  {"Driver", "overlay"}, {"CheckDuplicate", true},
              {"Attachable", true}, {"Internal", false},   {"Labels", labels}}
      .dump();
}

namespace {

Service service_of(const Json& s) {
  Service out;
  out.id = string_at(s, "ID");
  const Json version = s.value("Version", Json::object());
  if (version.is_object() && version.value("Index", Json()).is_number_unsigned()) {
    out.version = version["Index"].get<std::uint64_t>();
  }
  const Json spec = s.value("Spec", Json::object());
  out.spec = spec.dump();
  out.name = string_at(spec, "Name");
  out.labels = string_map(spec.value("Labels", Json::object()));
  out.created_at = detail::unix_seconds(string_at(s, "CreatedAt")).value_or(0);
  const Json task = spec.value("TaskTemplate", Json::object());
  out.image = string_at(task.value("ContainerSpec", Json::object()), "Image");
  const Json replicated = spec.value("Mode", Json::object()).value("Replicated", Json::object());
  if (replicated.is_object() && replicated.value("Replicas", Json()).is_number_integer()) {
    out.replicas = replicated["Replicas"].get<std::int32_t>();
  }
  return out;
}

std::uint16_t host_port(const Json& status) {
  const Json ports = status.value("PortStatus", Json::object()).value("Ports", Json::array());
  if (!ports.is_array()) return 0;
  for (const Json& p : ports) {
    if (string_at(p, "PublishMode") != "host") continue;
    const Json n = p.value("PublishedPort", Json());
    if (n.is_number_unsigned() && n.get<std::uint64_t>() <= 65535) {
      return static_cast<std::uint16_t>(n.get<std::uint64_t>());
    }
  }
  return 0;
}

Task task_of(const Json& t) {
  Task out;
  out.id = string_at(t, "ID");
  out.node_id = string_at(t, "NodeID");
  out.desired_state = string_at(t, "DesiredState");
  const Json status = t.value("Status", Json::object());
  out.state = string_at(status, "State");
  out.error = string_at(status, "Err");
  out.published_port = host_port(status);
  out.updated_at = detail::unix_seconds(string_at(status, "Timestamp")).value_or(0);
  const Json container = status.value("ContainerStatus", Json::object());
  out.container_id = string_at(container, "ContainerID");
  if (container.is_object() && container.value("ExitCode", Json()).is_number_integer()) {
    out.exit_code = container["ExitCode"].get<int>();
  }
  return out;
}

template <class T, class F>
Result<std::vector<T>> parse_array(std::string_view json, const char* what, F&& of) {
  auto doc = parse_json(json, what);
  if (!doc) return fail(doc.error());
  if (!doc->is_array()) return fail(Error::internal(std::string(what) + " is not a JSON array"));
  std::vector<T> out;
  out.reserve(doc->size());
  for (const Json& item : *doc) {
    if (item.is_object()) out.push_back(of(item));
  }
  return out;
}

}  // namespace

Result<Service> parse_service(std::string_view json) {
  auto doc = parse_json(json, "a service");
  if (!doc) return fail(doc.error());
  if (!doc->is_object()) return fail(Error::internal("a service is not a JSON object"));
  Service s = service_of(*doc);
  if (s.id.empty()) return fail(Error::internal("a service without an ID"));
  return s;
}

Result<std::string> parse_created_id(std::string_view json) {
  auto doc = parse_json(json, "a created service");
  if (!doc) return fail(doc.error());
  std::string id = string_at(*doc, "ID");
  if (id.empty()) return fail(Error::internal("service create answered without an ID"));
  return id;
}

Result<std::vector<Service>> parse_services(std::string_view json) {
  return parse_array<Service>(json, "the service list", service_of);
}

Result<std::vector<Task>> parse_tasks(std::string_view json) {
  return parse_array<Task>(json, "the task list", task_of);
}

Result<std::vector<Node>> parse_nodes(std::string_view json) {
  return parse_array<Node>(json, "the node list", [](const Json& n) {
    const Json status = n.value("Status", Json::object());
    return Node{.id = string_at(n, "ID"),
                .address = string_at(status, "Addr"),
                .state = string_at(status, "State"),
                .availability = string_at(n.value("Spec", Json::object()), "Availability")};
  });
}

Result<std::string> with_replicas(std::string_view spec, std::int32_t replicas) {
  auto doc = parse_json(spec, "a service spec");
  if (!doc) return fail(doc.error());
  if (!doc->is_object()) return fail(Error::internal("a service spec is not a JSON object"));
  (*doc)["Mode"] = {{"Replicated", {{"Replicas", replicas}}}};
  return doc->dump();
}

}  // namespace orsa::runtime::swarm
