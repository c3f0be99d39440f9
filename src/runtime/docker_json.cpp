#include "runtime/docker_json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "runtime/log_frames.hpp"

namespace orsa::runtime::docker {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxErrorMessage = 2000;

// Event attributes podman and dockerd add next to the container's labels.
constexpr std::string_view kNonLabelAttributes[] = {
    "image", "name", "exitCode", "containerExitCode", "podId", "signal", "execID",
};

std::string string_at(const Json& object, const char* key) {
  if (!object.is_object()) return {};
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::map<std::string, std::string> string_map(const Json& object) {
  std::map<std::string, std::string> out;
  if (!object.is_object()) return out;
  for (const auto& [key, value] : object.items()) {
    if (value.is_string()) out.emplace(key, value.get<std::string>());
  }
  return out;
}

std::optional<std::int64_t> unix_seconds(const std::string& text) {
  const auto at = parse_rfc3339(text);
  // Docker writes "0001-01-01T00:00:00Z" for a time that has not happened.
  if (!at || at->seconds <= 0) return std::nullopt;
  return at->seconds;
}

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

std::string create_body(const ContainerSpec& spec) {
  const std::string port_key = std::to_string(spec.container_port) + "/tcp";
  Json env = Json::array();
  for (const auto& [key, value] : spec.env) env.push_back(key + "=" + value);
  Json binding = {{"HostIp", spec.host_ip},
                  {"HostPort", spec.host_port == 0 ? "" : std::to_string(spec.host_port)}};
  Json host_config = {
      {"PortBindings", {{port_key, Json::array({binding})}}},
      {"Memory", spec.memory_bytes},
      // Swap equal to memory: the limit is a real limit, not memory plus as much swap.
      {"MemorySwap", spec.memory_bytes},
      {"NanoCpus", static_cast<std::int64_t>(std::llround(spec.cpus * 1e9))},
      {"PidsLimit", spec.pids_limit},
      {"ReadonlyRootfs", spec.read_only_root},
      {"Tmpfs", {{"/tmp", "rw,size=" + std::to_string(spec.tmp_size_bytes) + ",mode=1777"}}},
      {"RestartPolicy", {{"Name", spec.restart_policy}}},
  };
  Json body = {
      {"Image", spec.image},
      {"Env", std::move(env)},
      {"Labels", spec.labels},
      {"ExposedPorts", {{port_key, Json::object()}}},
      {"HostConfig", std::move(host_config)},
  };
  if (!spec.command.empty()) body["Cmd"] = spec.command;
  return body.dump();
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
  read_port_bindings(d.value("NetworkSettings", Json::object()).value("Ports", Json()), info);
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
    for (const auto& [key, value] : labels) list.push_back(key + "=" + value);
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
