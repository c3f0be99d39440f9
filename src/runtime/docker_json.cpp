#include "docker_json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/strings.hpp"
#include "json_fields.hpp"
#include "log_frames.hpp"

namespace orsa::runtime::docker {
namespace {

using Json = nlohmann::json;
using detail::string_at;
using detail::string_map;
using detail::unix_seconds;

constexpr std::size_t kMaxErrorMessage = 2000;

// Event attributes podman and dockerd add next to the container's labels.
constexpr std::string_view kNonLabelAttributes[] = {
    "image", "name", "exitCode", "containerExitCode", "podId", "signal", "execID",
};

std::uint16_t port_number(const Json& value) {
  std::int64_t n = 0;
  if (value.is_number_integer()) {
    n = value.get<std::int64_t>();
  } else if (value.is_string()) {
    const std::string text = value.get<std::string>();
    if (text.empty() || text.size() > 5 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
      return 0;
    }
    n = std::stoll(text);
  }
  return n > 0 && n <= 65535 ? static_cast<std::uint16_t>(n) : 0;
}

// The first published binding in NetworkSettings.Ports:
// {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "35513"}]}.
void read_port_bindings(const Json& ports, ContainerInfo& info) {
  if (!ports.is_object()) return;
  for (const auto& [port, bindings] : ports.items()) {
    if (!bindings.is_array()) continue;
    for (const auto& binding : bindings) {
      const std::uint16_t host_port = port_number(binding.value("HostPort", Json()));
      if (host_port == 0) continue;
      info.host_ip = string_at(binding, "HostIp");
      info.host_port = host_port;
      return;
    }
  }
}

// The network of our own the container is on: HostConfig.NetworkMode when
// it names one (dockerd), else the only entry of NetworkSettings.Networks
// (podman reports "bridge" as the mode of every bridge network). Not the
// engine's default network, none or host.
std::string own_network(const Json& host_config, const Json& settings) {
  const auto is_default = [](const std::string& name) {
    return name.empty() || name == "default" || name == "bridge" || name == "podman" ||
           name == "none" || name == "host" || name == "private" ||
           name.find(':') != std::string::npos;
  };
  std::string mode = string_at(host_config, "NetworkMode");
  if (!is_default(mode)) return mode;
  const Json networks = settings.value("Networks", Json::object());
  if (mode != "bridge" || !networks.is_object() || networks.size() != 1) return {};
  const std::string only = networks.begin().key();
  return is_default(only) ? std::string() : only;
}

// The container's address on `network` ("" while it is not running).
std::string address_on(const std::string& network, const Json& settings) {
  const Json networks = settings.value("Networks", Json::object());
  if (network.empty() || !networks.is_object()) return {};
  const auto it = networks.find(network);
  return it == networks.end() ? std::string() : string_at(*it, "IPAddress");
}

Result<Json> parse_json(std::string_view text, const char* what) {
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    return fail(Error::internal(std::string("container runtime sent malformed JSON for ") + what));
  }
  return doc;
}

std::string base64url_padded(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63],
            kAlphabet[n & 63]};
  }
  if (i + 1 == bytes.size()) {
    const auto n = static_cast<unsigned char>(bytes[i]) << 16;
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += {kAlphabet[(n >> 18) & 63], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

}  // namespace

std::string create_body(const ContainerSpec& spec, std::string_view userns_mode) {
  const std::string port_key = std::to_string(spec.container_port) + "/tcp";
  Json env = Json::array();
  for (const auto& [key, value] : spec.env) env.push_back(concat({key, "=", value}));
  Json host_config = {
      {"Memory", spec.memory_bytes},
      // Swap equal to memory: the limit is a real limit, not memory plus as much swap.
      {"MemorySwap", spec.memory_bytes},
      {"NanoCpus", static_cast<std::int64_t>(std::llround(spec.cpus * 1e9))},
      {"PidsLimit", spec.pids_limit},
      // Both: an engine that is given some ulimits may drop its defaults
      // for the others (podman then asks for the host's, which can fail).
      {"Ulimits",
       Json::array(
           {{{"Name", "nofile"}, {"Soft", spec.open_files_limit}, {"Hard", spec.open_files_limit}},
            {{"Name", "nproc"}, {"Soft", spec.processes_limit}, {"Hard", spec.processes_limit}}})},
      {"ReadonlyRootfs", spec.read_only_root},
      {"Tmpfs", {{"/tmp", "rw,size=" + std::to_string(spec.tmp_size_bytes) + ",mode=1777"}}},
      {"RestartPolicy", {{"Name", spec.restart_policy}}},
      // A service on a high port needs no capability; without any, root in
      // the container cannot change owners, bypass file modes, open raw
      // sockets or load anything, and no setuid binary can give them back.
      {"CapDrop", Json::array({"ALL"})},
      {"SecurityOpt", Json::array({"no-new-privileges"})},
      // Type left to the engine's default file driver (podman k8s-file,
      // dockerd json-file); both rotate or truncate at max-size.
      {"LogConfig", {{"Config", {{"max-size", std::to_string(spec.log_max_bytes)}}}}},
  };
  if (!userns_mode.empty()) host_config["UsernsMode"] = std::string(userns_mode);
  Json body = {
      {"Image", spec.image},
      {"Env", std::move(env)},
      {"Labels", spec.labels},
  };
  if (spec.network.empty()) {
    Json binding = {{"HostIp", spec.host_ip},
                    {"HostPort", spec.host_port == 0 ? "" : std::to_string(spec.host_port)}};
    host_config["PortBindings"] = {{port_key, Json::array({binding})}};
    body["ExposedPorts"] = {{port_key, Json::object()}};
  } else {
    // Own network or none: nothing published; the host reaches the
    // container at its address on that network.
    host_config["NetworkMode"] = spec.network;
  }
  body["HostConfig"] = std::move(host_config);
  if (!spec.user.empty()) body["User"] = spec.user;
  if (!spec.command.empty()) body["Cmd"] = spec.command;
  return body.dump();
}

std::string create_network_body(const NetworkSpec& spec, std::string_view bridge_name) {
  Json body = {
      {"Name", spec.name},
      {"Driver", "bridge"},
      {"CheckDuplicate", true},
      // No egress: no default route in the container, no masquerading.
      {"Internal", !spec.egress},
      {"Labels", spec.labels},
  };
  // Other networks cannot send to this one: podman's compat API marks its
  // networks `isolate` itself, dockerd isolates bridge networks by default.
  Json options = Json::object();
  if (!bridge_name.empty()) options["com.docker.network.bridge.name"] = std::string(bridge_name);
  body["Options"] = std::move(options);
  return body.dump();
}

Result<NetworkDetails> parse_network(std::string_view json) {
  auto doc = parse_json(json, "a network");
  if (!doc) return fail(doc.error());
  if (!doc->is_object()) return fail(Error::internal("network inspect is not a JSON object"));
  NetworkDetails out;
  out.info.id = string_at(*doc, "Id");
  out.info.name = string_at(*doc, "Name");
  out.info.labels = string_map(doc->value("Labels", Json::object()));
  const Json internal = doc->value("Internal", Json());
  out.info.internal = internal.is_boolean() && internal.get<bool>();
  const Json configs = doc->value("IPAM", Json::object()).value("Config", Json::array());
  if (configs.is_array()) {
    for (const Json& config : configs) {
      const std::string subnet = string_at(config, "Subnet");
      if (subnet.empty() || subnet.find(':') != std::string::npos) continue;  // IPv4 only
      out.subnet = subnet;
      out.gateway = string_at(config, "Gateway");
      if (out.gateway == "<nil>") out.gateway.clear();  // podman: the host has no address
      break;
    }
  }
  const Json options = doc->value("Options", Json::object());
  out.bridge = string_at(options, "com.docker.network.bridge.name");
  if (out.info.name.empty()) return fail(Error::internal("network inspect without a Name"));
  return out;
}

Result<std::vector<NetworkInfo>> parse_network_list(std::string_view json) {
  auto doc = parse_json(json, "the network list");
  if (!doc) return fail(doc.error());
  if (!doc->is_array()) return fail(Error::internal("network list is not a JSON array"));
  std::vector<NetworkInfo> out;
  for (const Json& n : *doc) {
    auto details = parse_network(n.dump());
    if (details) out.push_back(std::move(details->info));
  }
  return out;
}

Result<std::string> parse_created_id(std::string_view json) {
  auto doc = parse_json(json, "a created container");
  if (!doc) return fail(doc.error());
  std::string id = string_at(*doc, "Id");
  if (id.empty()) return fail(Error::internal("container create answered without an Id"));
  return id;
}

std::string parse_version(std::string_view json) {
  const Json doc = Json::parse(json, nullptr, false);
  return doc.is_discarded() ? std::string() : string_at(doc, "Version");
}

Result<ContainerInfo> parse_inspect(std::string_view json) {
  auto doc = parse_json(json, "a container");
  if (!doc) return fail(doc.error());
  if (!doc->is_object()) return fail(Error::internal("container inspect is not a JSON object"));
  const Json& d = *doc;
  ContainerInfo info;
  info.id = string_at(d, "Id");
  info.name = string_at(d, "Name");
  if (info.name.starts_with('/')) info.name.erase(0, 1);
  const Json config = d.value("Config", Json::object());
  info.image = string_at(config, "Image");
  if (info.image.empty()) info.image = string_at(d, "Image");
  info.labels = string_map(config.value("Labels", Json::object()));
  const Json state = d.value("State", Json::object());
  info.state = parse_state(string_at(state, "Status"));
  if (state.is_object()) {
    const Json exit_code = state.value("ExitCode", Json());
    if (exit_code.is_number_integer()) info.exit_code = exit_code.get<int>();
    const Json oom = state.value("OOMKilled", Json());
    info.oom_killed = oom.is_boolean() && oom.get<bool>();
  }
  info.started_at = unix_seconds(string_at(state, "StartedAt"));
  info.finished_at = unix_seconds(string_at(state, "FinishedAt"));
  const Json settings = d.value("NetworkSettings", Json::object());
  read_port_bindings(settings.value("Ports", Json()), info);
  info.network = own_network(d.value("HostConfig", Json::object()), settings);
  info.ip_address = address_on(info.network, settings);
  if (info.id.empty()) return fail(Error::internal("container inspect without an Id"));
  return info;
}

Result<std::vector<ContainerInfo>> parse_list(std::string_view json) {
  auto doc = parse_json(json, "the container list");
  if (!doc) return fail(doc.error());
  if (!doc->is_array()) return fail(Error::internal("container list is not a JSON array"));
  std::vector<ContainerInfo> out;
  for (const Json& c : *doc) {
    ContainerInfo info;
    info.id = string_at(c, "Id");
    if (info.id.empty()) continue;
    const Json names = c.value("Names", Json::array());
    if (names.is_array() && !names.empty() && names[0].is_string()) {
      info.name = names[0].get<std::string>();
      if (info.name.starts_with('/')) info.name.erase(0, 1);
    }
    info.image = string_at(c, "Image");
    info.labels = string_map(c.value("Labels", Json::object()));
    info.state = parse_state(string_at(c, "State"));
    const Json ports = c.value("Ports", Json::array());
    for (const Json& port : ports.is_array() ? ports : Json::array()) {
      const std::uint16_t public_port = port_number(port.value("PublicPort", Json()));
      if (public_port == 0) continue;
      info.host_ip = string_at(port, "IP");
      info.host_port = public_port;
      break;
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<Event> parse_event(std::string_view line) {
  const Json doc = Json::parse(line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  // dockerd and podman both send Type/Action/Actor; older dockerd only status/id.
  const std::string type = string_at(doc, "Type");
  if (!type.empty() && type != "container") return std::nullopt;
  Event event;
  const Json actor = doc.value("Actor", Json::object());
  event.container_id = string_at(actor, "ID");
  if (event.container_id.empty()) event.container_id = string_at(doc, "id");
  event.action = string_at(doc, "Action");
  if (event.action.empty()) event.action = string_at(doc, "status");
  if (event.container_id.empty() || event.action.empty()) return std::nullopt;
  event.labels = string_map(actor.value("Attributes", Json::object()));
  for (const std::string_view key : kNonLabelAttributes) event.labels.erase(std::string(key));
  return event;
}

std::optional<std::string> progress_error(std::string_view line) {
  const Json doc = Json::parse(line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  std::string message = string_at(doc, "error");
  if (message.empty()) message = string_at(doc.value("errorDetail", Json::object()), "message");
  if (message.empty()) return std::nullopt;
  return message.substr(0, kMaxErrorMessage);
}

std::string error_message(std::string_view body) {
  const Json doc = Json::parse(body, nullptr, false);
  std::string message = doc.is_discarded() ? std::string() : string_at(doc, "message");
  if (message.empty()) message = std::string(body.substr(0, kMaxErrorMessage));
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
    message.pop_back();
  }
  return message.substr(0, kMaxErrorMessage);
}

std::string label_filters(const std::map<std::string, std::string>& labels, bool container_events) {
  Json filters = Json::object();
  if (!labels.empty()) {
    Json list = Json::array();
    for (const auto& [key, value] : labels) list.push_back(concat({key, "=", value}));
    filters["label"] = std::move(list);
  }
  if (container_events) filters["type"] = Json::array({"container"});
  return filters.dump();
}

std::string registry_auth(const RegistryAuth& auth) {
  const Json doc = {
      {"username", auth.username}, {"password", auth.password}, {"serveraddress", auth.server}};
  return base64url_padded(doc.dump());
}

ContainerState parse_state(std::string_view status) {
  if (status == "created" || status == "configured") return ContainerState::kCreated;
  if (status == "running") return ContainerState::kRunning;
  if (status == "paused") return ContainerState::kPaused;
  if (status == "restarting") return ContainerState::kRestarting;
  if (status == "exited" || status == "stopped") return ContainerState::kExited;
  if (status == "dead" || status == "removing") return ContainerState::kDead;
  return ContainerState::kUnknown;
}

}  // namespace orsa::runtime::docker
