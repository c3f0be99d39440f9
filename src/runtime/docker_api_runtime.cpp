#include "runtime/docker_api_runtime.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <string_view>
#include <thread>
#include <tuple>

#include "core/json.hpp"
#include "core/strings.hpp"
#include "docker_api_detail.hpp"
#include "docker_json.hpp"
#include "host_network.hpp"
#include "log_frames.hpp"
#include "unix_http.hpp"

namespace orsa::runtime {
namespace {

constexpr std::string_view kNameChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
constexpr std::size_t kMaxName = 128;
constexpr std::int64_t kMinMemoryBytes = 6 * 1024 * 1024;  // dockerd's floor

bool contains(std::string_view haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                     [](char a, char b) {
                       return std::tolower(static_cast<unsigned char>(a)) ==
                              std::tolower(static_cast<unsigned char>(b));
                     }) != haystack.end();
}

// Pull failures arrive as text inside a 200 progress stream.
Error pull_error(std::string message) {
  message = "pull failed: " + message;
  if (contains(message, "unauthorized") || contains(message, "authentication required")) {
    return Error::unauthenticated(std::move(message));
  }
  if (contains(message, "denied")) return Error::permission_denied(std::move(message));
  if (contains(message, "manifest unknown") || contains(message, "name unknown") ||
      contains(message, "not found")) {
    return Error::not_found(std::move(message));
  }
  return Error::unavailable(std::move(message));
}

// Without a tag or digest, Docker's pull fetches every tag of the repository.
std::string with_default_tag(const std::string& image) {
  const std::size_t slash = image.rfind('/');
  const std::string_view last =
      std::string_view(image).substr(slash == std::string::npos ? 0 : slash + 1);
  if (last.find(':') != std::string_view::npos || last.find('@') != std::string_view::npos) {
    return image;
  }
  return image + ":latest";
}

// Splits a byte stream into newline-terminated lines of bounded length.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line) : max_line_(max_line) {}

  /// Calls `on_line` per complete line; false when it asked to stop or a line was too long.
  template <class F>
  bool feed(std::string_view chunk, F&& on_line) {
    while (!chunk.empty()) {
      const std::size_t newline = chunk.find('\n');
      const std::size_t take = newline == std::string_view::npos ? chunk.size() : newline;
      if (buffer_.size() + take > max_line_) {
        overflow_ = true;
        return false;
      }
      buffer_.append(chunk.substr(0, take));
      if (newline == std::string_view::npos) break;
      chunk.remove_prefix(newline + 1);
      std::string line = std::move(buffer_);
      buffer_.clear();
      if (!line.empty() && !on_line(std::string_view(line))) return false;
    }
    return true;
  }
  /// The unterminated rest of the stream.
  std::string_view rest() const { return buffer_; }
  bool overflowed() const { return overflow_; }

 private:
  std::size_t max_line_;
  std::string buffer_;
  bool overflow_ = false;
};

bool labels_match(const std::map<std::string, std::string>& have,
                  const std::map<std::string, std::string>& want) {
  return std::all_of(want.begin(), want.end(), [&](const auto& kv) {
    const auto it = have.find(kv.first);
    return it != have.end() && it->second == kv.second;
  });
}

}  // namespace

namespace detail {

// Maps a Docker API error status to our vocabulary.
Error status_error(int status, std::string_view body, const std::string& what) {
  std::string message = what + ": " + docker::error_message(body);
  switch (status) {
    case 400:
      return Error::invalid_argument(std::move(message));
    case 401:
      return Error::unauthenticated(std::move(message));
    case 403:
      return Error::permission_denied(std::move(message));
    case 404:
      return Error::not_found(std::move(message));
    case 409:
      return Error::conflict(std::move(message));
    default:
      break;
  }
  // podman answers 500 for a container removed while it was being inspected
  // (its database lost the row between two lookups); dockerd says 404.
  if (contains(message, "no such container")) return Error::not_found(std::move(message));
  // podman answers a duplicate name or a network in use with 500, dockerd with 409.
  if (contains(message, "already in use") || contains(message, "already exists") ||
      contains(message, "is being used")) {
    return Error::conflict(std::move(message));
  }
  return Error::unavailable(std::move(message) + " (HTTP " + std::to_string(status) + ")");
}

Result<void> check_id(const std::string& id) {
  if (id.empty() || id.size() > kMaxName || id.find_first_not_of(kNameChars) != std::string::npos) {
    return fail(Error::invalid_argument("invalid container id or name '" + id + "'"));
  }
  return {};
}

Result<void> read_logs(const UnixHttp& http, const std::string& object, const LogOptions& options,
                       const std::function<bool(const LogLine&)>& sink, const LogLimits& limits) {
  std::string target = object + "/logs?stdout=1&stderr=1&timestamps=1";
  target += options.follow ? "&follow=1" : "&follow=0";
  target += "&tail=" + (options.tail ? std::to_string(*options.tail) : std::string("all"));
  if (options.since) target += "&since=" + std::to_string(*options.since);

  LogFrameDecoder decoder(
      true, {.max_frame_bytes = limits.max_frame_bytes, .max_line_bytes = limits.max_line_bytes});
  std::optional<Error> decode_error;
  bool sink_stopped = false;
  StreamHandlers handlers;
  handlers.on_data = [&](std::string_view chunk) {
    auto more = decoder.feed(chunk, sink);
    if (!more) decode_error = more.error();
    sink_stopped = more && !*more;
    return more && *more;
  };
  if (options.follow && options.keep_going) handlers.on_tick = options.keep_going;
  // Following has no total deadline: the container, the sink or keep_going end it.
  const auto timeout = options.follow ? std::chrono::milliseconds(0) : limits.call_timeout;
  auto end = http.stream("GET", target, {}, {}, timeout, handlers);
  if (!end) return fail(end.error());
  if (end->status >= 300) {
    return fail(status_error(end->status, end->error_body, "logs of " + object));
  }
  if (decode_error) return fail(*decode_error);
  if (end->stopped || sink_stopped) return {};
  auto finished = decoder.finish(sink);
  if (!finished) return fail(finished.error());
  return {};
}

}  // namespace detail

using detail::check_id;
using detail::status_error;

namespace {

// One pull, its progress lines read as they come: a line naming an error
// fails the pull even when the status said 200.
// `no_such_endpoint` (if given) tells a 404 of the request itself apart from
// a pull that failed inside the engine (an unknown image is a not-found too).
Result<void> pull_stream(const detail::UnixHttp& http, const std::string& target,
                         const std::vector<std::string>& headers, const std::string& image,
                         const DockerApiOptions& options, bool* no_such_endpoint = nullptr) {
  LineSplitter lines(options.max_stream_line_bytes);
  std::optional<std::string> stream_error;
  detail::StreamHandlers handlers;
  handlers.on_data = [&](std::string_view chunk) {
    return lines.feed(chunk, [&](std::string_view line) {
      stream_error = docker::progress_error(line);
      return !stream_error.has_value();
    });
  };
  // Pulling again is harmless: an engine that died mid-pull is asked again.
  auto end = http.stream("POST", target, {}, headers, options.pull_timeout, handlers,
                         detail::Retry::kIfNoAnswer);
  if (!end) return fail(end.error());
  if (no_such_endpoint != nullptr) *no_such_endpoint = end->status == 404;
  if (end->status >= 300) return fail(status_error(end->status, end->error_body, "pull " + image));
  if (!stream_error && !lines.rest().empty()) stream_error = docker::progress_error(lines.rest());
  if (stream_error) return fail(pull_error(*stream_error));
  if (lines.overflowed()) return fail(Error::too_large("pull progress line too long"));
  return {};
}

}  // namespace

Result<void> validate_spec(const ContainerSpec& spec) {
  if (spec.name.empty() || spec.name.size() > kMaxName ||
      spec.name.find_first_not_of(kNameChars) != std::string::npos ||
      kNameChars.substr(0, 62).find(spec.name.front()) == std::string_view::npos) {
    return fail(Error::invalid_argument("container name must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"));
  }
  if (spec.image.empty() || spec.image.find_first_of(" \t\r\n") != std::string::npos) {
    return fail(Error::invalid_argument("container image reference is empty or has blanks"));
  }
  for (const auto& [key, value] : spec.env) {
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos) {
      return fail(Error::invalid_argument("invalid environment variable '" + key + "'"));
    }
  }
  if (spec.container_port == 0) return fail(Error::invalid_argument("container_port is 0"));
  if (spec.host_ip.empty()) return fail(Error::invalid_argument("host_ip is empty"));
  if (!spec.network.empty() && spec.network != kNoNetwork) {
    if (auto ok = check_id(spec.network); !ok) return fail(ok.error());
  }
  if (spec.open_files_limit < 16) return fail(Error::invalid_argument("open files limit below 16"));
  if (spec.processes_limit < 1) return fail(Error::invalid_argument("processes limit below 1"));
  if (spec.log_max_bytes < 4096) return fail(Error::invalid_argument("log size cap below 4 KiB"));
  if (spec.user.find_first_not_of("0123456789:") != std::string::npos) {
    return fail(Error::invalid_argument("user must be numeric uid[:gid]"));
  }
  if (spec.memory_bytes < kMinMemoryBytes) {
    return fail(Error::invalid_argument("memory limit below 6 MiB"));
  }
  if (!(spec.cpus > 0.0) || spec.cpus > 1024.0) {
    return fail(Error::invalid_argument("cpus must be in (0, 1024]"));
  }
  if (spec.pids_limit <= 0) return fail(Error::invalid_argument("pids_limit must be positive"));
  if (spec.tmp_size_bytes <= 0) return fail(Error::invalid_argument("tmp size must be positive"));
  constexpr std::array<std::string_view, 4> kPolicies = {"no", "always", "on-failure",
                                                         "unless-stopped"};
  if (std::find(kPolicies.begin(), kPolicies.end(), spec.restart_policy) == kPolicies.end()) {
    return fail(Error::invalid_argument("unknown restart policy '" + spec.restart_policy + "'"));
  }
  return {};
}

DockerApiRuntime::DockerApiRuntime(DockerApiOptions options)
    : options_(std::move(options)),
      http_(std::make_unique<detail::UnixHttp>(options_.socket_path, options_.connect_timeout,
                                               options_.reconnect_window)) {}

DockerApiRuntime::~DockerApiRuntime() = default;

std::string DockerApiRuntime::path(std::string_view rest) const {
  return "/v" + options_.api_version + std::string(rest);
}

Result<std::string> DockerApiRuntime::version() {
  auto reply = http_->request("GET", path("/version"), {}, {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(status_error(reply->status, reply->body, "version"));
  return docker::parse_version(reply->body);
}

Result<void> DockerApiRuntime::pull(const std::string& image, const RegistryAuth& auth) {
  if (image.empty() || image.find_first_of(" \t\r\n") != std::string::npos) {
    return fail(Error::invalid_argument("invalid image reference '" + image + "'"));
  }
  std::vector<std::string> headers;
  if (!auth.username.empty() || !auth.password.empty()) {
    // Carries the password: never logged, never part of an error message.
    headers.push_back("X-Registry-Auth: " + docker::registry_auth(auth));
  }
  const std::string reference = percent_encode(with_default_tag(image));
  const std::string registry = image.substr(0, image.find('/'));
  if (std::ranges::find(options_.insecure_registries, registry) !=
      options_.insecure_registries.end()) {
    bool not_podman = false;
    auto pulled =
        pull_stream(*http_, "/v4.0.0/libpod/images/pull?tlsVerify=false&reference=" + reference,
                    headers, image, options_, &not_podman);
    // No such endpoint: not podman; the compatible pull follows.
    if (pulled || !not_podman) return pulled;
  }
  return pull_stream(*http_, path("/images/create?fromImage=" + reference), headers, image,
                     options_);
}

bool DockerApiRuntime::has_image(const std::string& image) {
  // The name is a path segment with its slashes (the API's own form); only
  // what would end or split the path is refused.
  if (image.empty() || image.find_first_of(" \t\r\n?#%") != std::string::npos) return false;
  auto reply = http_->request("GET", path("/images/" + image + "/json"), {}, {},
                              options_.call_timeout, 1024 * 1024);
  return reply && reply->status == 200;
}

Result<std::string> DockerApiRuntime::run(const ContainerSpec& spec) {
  if (auto valid = validate_spec(spec); !valid) return fail(valid.error());
  auto created =
      http_->request("POST", path("/containers/create?name=" + percent_encode(spec.name)),
                     docker::create_body(spec, options_.userns_mode), {}, options_.call_timeout);
  if (!created) return fail(created.error());
  if (created->status != 201 && created->status != 200) {
    return fail(status_error(created->status, created->body, "create container " + spec.name));
  }
  auto id = docker::parse_created_id(created->body);
  if (!id) return fail(id.error());
  if (auto started = start_and_attach(*id, spec.network); !started) {
    // A created-but-never-started container would only hold the name.
    std::ignore = remove(*id);  // best effort: the start failure is the error to report
    return fail(started.error());
  }
  return id;
}

Result<void> DockerApiRuntime::start_and_attach(const std::string& id, const std::string& network) {
  auto reply =
      http_->request("POST", path("/containers/" + id + "/start"), {}, {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  // 304: already running.
  if (reply->status != 204 && reply->status != 304 && reply->status != 200) {
    return fail(status_error(reply->status, reply->body, "start container " + id));
  }
  if (network.empty() || network == kNoNetwork) return {};
  return ensure_host_address(network);
}

Result<ContainerInfo> DockerApiRuntime::inspect(const std::string& id) {
  if (auto ok = check_id(id); !ok) return fail(ok.error());
  auto reply =
      http_->request("GET", path("/containers/" + id + "/json"), {}, {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status != 200) {
    return fail(status_error(reply->status, reply->body, "inspect container " + id));
  }
  return docker::parse_inspect(reply->body);
}

Result<void> DockerApiRuntime::start(const std::string& id) {
  if (auto ok = check_id(id); !ok) return fail(ok.error());
  if (auto started = start_and_attach(id, {}); !started) return fail(started.error());
  // The bridge may be new (the host rebooted, the network was re-made).
  auto info = inspect(id);
  if (!info) return fail(info.error());
  if (info->network.empty()) return {};
  return ensure_host_address(info->network);
}

Result<void> DockerApiRuntime::stop(const std::string& id, std::chrono::seconds grace) {
  if (auto ok = check_id(id); !ok) return fail(ok.error());
  const auto seconds = std::max<std::int64_t>(grace.count(), 0);
  const auto request = [&] {
    return http_->request("POST", path("/containers/" + id + "/stop?t=" + std::to_string(seconds)),
                          {}, {}, options_.call_timeout + std::chrono::seconds(seconds));
  };
  // 304: already stopped.
  const auto stopped = [](int status) { return status == 204 || status == 304 || status == 200; };
  auto reply = request();
  if (!reply) return fail(reply.error());
  if (stopped(reply->status)) return {};
  // Podman refuses to stop a frozen container ("state improper"); dockerd
  // thaws it itself. Thawed, it gets its SIGTERM like any other.
  const auto refusal = status_error(reply->status, reply->body, "stop container " + id);
  auto info = inspect(id);
  if (!info || info->state != ContainerState::kPaused) return fail(refusal);
  if (auto thawed = unpause(id); !thawed) return fail(thawed.error());
  reply = request();
  if (!reply) return fail(reply.error());
  if (!stopped(reply->status))
    return fail(status_error(reply->status, reply->body, "stop container " + id));
  return {};
}

Result<void> DockerApiRuntime::pause(const std::string& id) {
  if (auto ok = check_id(id); !ok) return fail(ok.error());
  auto reply =
      http_->request("POST", path("/containers/" + id + "/pause"), {}, {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status == 204 || reply->status == 200) return {};
  return fail(status_error(reply->status, reply->body, "pause container " + id));
}

Result<void> DockerApiRuntime::unpause(const std::string& id) {
  if (auto ok = check_id(id); !ok) return fail(ok.error());
  auto reply =
      http_->request("POST", path("/containers/" + id + "/unpause"), {}, {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status == 204 || reply->status == 200) return {};
  // Engines refuse to thaw what is not frozen (409 or 500, by engine): that
  // is the state the caller wants.
  if (reply->status != 404) {
    if (auto info = inspect(id); info && info->state != ContainerState::kPaused) return {};
  }
  return fail(status_error(reply->status, reply->body, "unpause container " + id));
}

Result<void> DockerApiRuntime::remove(const std::string& id) {
  if (auto ok = check_id(id); !ok) return fail(ok.error());
  // A container that is exiting right now cannot be killed ("container state
  // improper", 500) or is being removed by the engine's own cleanup (409):
  // both pass within moments. DELETE is idempotent, so it is asked again.
  constexpr int kAttempts = 6;
  std::chrono::milliseconds pause{50};
  for (int attempt = 1;; ++attempt) {
    auto reply = http_->request("DELETE", path("/containers/" + id + "?force=1&v=1"), {}, {},
                                options_.call_timeout);
    if (!reply) return fail(reply.error());
    if (reply->status == 204 || reply->status == 200 || reply->status == 404) return {};
    const bool passing = reply->status == 409 || reply->status == 500;
    if (!passing || attempt == kAttempts) {
      return fail(status_error(reply->status, reply->body, "remove container " + id));
    }
    std::this_thread::sleep_for(pause);
    pause *= 2;
  }
}

Result<std::vector<ContainerInfo>> DockerApiRuntime::list(
    const std::map<std::string, std::string>& labels) {
  auto reply = http_->request("GET",
                              path("/containers/json?all=1&filters=" +
                                   percent_encode(docker::label_filters(labels, false))),
                              {}, {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status != 200)
    return fail(status_error(reply->status, reply->body, "list containers"));
  auto summaries = docker::parse_list(reply->body);
  if (!summaries) return fail(summaries.error());
  std::vector<ContainerInfo> out;
  for (const ContainerInfo& summary : *summaries) {
    if (!labels_match(summary.labels, labels)) continue;
    // The list lacks exit codes, OOM and times, which the reconciler needs.
    auto info = inspect(summary.id);
    if (!info && info.error().code == ErrorCode::kNotFound) continue;  // removed meanwhile
    if (!info) return fail(info.error());
    out.push_back(std::move(*info));
  }
  return out;
}

Result<void> DockerApiRuntime::logs(const std::string& id, const LogOptions& options,
                                    const std::function<bool(const LogLine&)>& sink) {
  if (auto ok = check_id(id); !ok) return fail(ok.error());
  return detail::read_logs(
      *http_, path("/containers/" + id), options, sink,
      {.max_frame_bytes = std::max(options_.max_stream_line_bytes, options_.max_log_line_bytes),
       .max_line_bytes = options_.max_log_line_bytes,
       .call_timeout = options_.call_timeout});
}

Result<void> DockerApiRuntime::events(const std::map<std::string, std::string>& labels,
                                      const std::function<bool(const Event*)>& sink) {
  const std::string target =
      path("/events?filters=" + percent_encode(docker::label_filters(labels, true)));
  LineSplitter lines(options_.max_stream_line_bytes);
  auto last_call = std::chrono::steady_clock::now();
  detail::StreamHandlers handlers;
  handlers.on_data = [&](std::string_view chunk) {
    return lines.feed(chunk, [&](std::string_view line) {
      const auto event = docker::parse_event(line);
      // The server filters too; checking again costs nothing and guards
      // against a runtime that ignores a filter.
      if (!event || !labels_match(event->labels, labels)) return true;
      last_call = std::chrono::steady_clock::now();
      return sink(&*event);
    });
  };
  handlers.on_tick = [&] {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_call < detail::UnixHttp::kTickInterval) return true;
    last_call = now;
    return sink(nullptr);
  };
  auto end = http_->stream("GET", target, {}, {}, std::chrono::milliseconds(0), handlers);
  if (!end) return fail(end.error());
  if (end->status >= 300) return fail(status_error(end->status, end->error_body, "events"));
  if (lines.overflowed()) return fail(Error::too_large("event line too long"));
  if (end->stopped) return {};
  return fail(Error::unavailable("the container runtime closed the event stream"));
}

Result<void> DockerApiRuntime::remove_image(const std::string& image) {
  if (image.empty() || image.find_first_of(" \t\r\n") != std::string::npos) {
    return fail(Error::invalid_argument("invalid image reference '" + image + "'"));
  }
  auto reply = http_->request("DELETE", path("/images/" + percent_encode(image, "/:@")), {}, {},
                              options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status != 200 && reply->status != 204 && reply->status != 404) {
    return fail(status_error(reply->status, reply->body, "remove image " + image));
  }
  return {};
}

Result<void> DockerApiRuntime::create_network(const NetworkSpec& spec) {
  if (auto ok = check_id(spec.name); !ok) return fail(ok.error());
  auto reply = http_->request("POST", path("/networks/create"),
                              docker::create_network_body(spec, detail::bridge_name_for(spec.name)),
                              {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status == 201 || reply->status == 200) return {};
  Error error = status_error(reply->status, reply->body, "create network " + spec.name);
  if (error.code != ErrorCode::kConflict) return fail(std::move(error));
  // It exists (an earlier attempt, a restart): keep it if it is what we want.
  auto existing = inspect_network(spec.name);
  if (!existing) return fail(existing.error());
  if (existing->info.internal == spec.egress) {
    return fail(Error::conflict("network " + spec.name + " exists with other egress"));
  }
  return {};
}

Result<docker::NetworkDetails> DockerApiRuntime::inspect_network(const std::string& name) {
  auto reply = http_->request("GET", path("/networks/" + name), {}, {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status != 200) {
    return fail(status_error(reply->status, reply->body, "inspect network " + name));
  }
  return docker::parse_network(reply->body);
}

Result<void> DockerApiRuntime::remove_network(const std::string& name) {
  if (auto ok = check_id(name); !ok) return fail(ok.error());
  detach(name);
  auto reply = http_->request("DELETE", path("/networks/" + name), {}, {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status != 204 && reply->status != 200 && reply->status != 404) {
    return fail(status_error(reply->status, reply->body, "remove network " + name));
  }
  return {};
}

Result<std::vector<NetworkInfo>> DockerApiRuntime::list_networks(
    const std::map<std::string, std::string>& labels) {
  auto reply = http_->request(
      "GET", path("/networks?filters=" + percent_encode(docker::label_filters(labels, false))), {},
      {}, options_.call_timeout);
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(status_error(reply->status, reply->body, "list networks"));
  auto networks = docker::parse_network_list(reply->body);
  if (!networks) return fail(networks.error());
  std::erase_if(*networks, [&](const NetworkInfo& n) { return !labels_match(n.labels, labels); });
  return networks;
}

Result<void> DockerApiRuntime::ensure_reachable(const std::string& network) {
  if (network.empty() || network == kNoNetwork) return {};
  if (auto ok = check_id(network); !ok) return fail(ok.error());
  return ensure_host_address(network);
}

Result<void> DockerApiRuntime::ensure_host_address(const std::string& network) {
  if (!options_.attach_container.empty()) return ensure_attached(network);
  // Every start after the first: the bridge has its address (one local
  // call instead of a round trip to the engine; a restart wakes faster).
  if (detail::interface_has_ipv4(detail::bridge_name_for(network))) return {};
  auto details = inspect_network(network);
  if (!details) return fail(details.error());
  if (!details->gateway.empty()) return {};  // the engine gave the host its address
  auto subnet = detail::parse_ipv4_subnet(details->subnet);
  if (!subnet) return fail(subnet.error());
  // The bridge name we asked for at creation; an engine may report its own.
  const std::string bridge =
      details->bridge.empty() ? detail::bridge_name_for(network) : details->bridge;
  return detail::ensure_interface_address(bridge, detail::first_host_address(*subnet),
                                          subnet->prefix);
}

Result<void> DockerApiRuntime::ensure_attached(const std::string& network) {
  {
    const std::lock_guard lock(attached_mutex_);
    if (attached_.contains(network)) return {};
  }
  const Json body = {{"Container", options_.attach_container}};
  auto reply = http_->request("POST", path("/networks/" + network + "/connect"), body.dump(), {},
                              options_.call_timeout);
  if (!reply) return fail(reply.error());
  // An earlier connect (before a restart of this process) stands: podman
  // says "already connected" with a 500, dockerd "already exists" with a 403.
  const bool already = reply->body.find("already") != std::string::npos;
  if (reply->status != 200 && !already) {
    return fail(status_error(reply->status, reply->body, "attach to network " + network));
  }
  const std::lock_guard lock(attached_mutex_);
  attached_.insert(network);
  return {};
}

// Before the network goes: an engine refuses to remove a network a container
// is still on. Not being on it is fine (never attached, or already gone).
void DockerApiRuntime::detach(const std::string& network) {
  if (options_.attach_container.empty()) return;
  const Json body = {{"Container", options_.attach_container}, {"Force", true}};
  std::ignore = http_->request("POST", path("/networks/" + network + "/disconnect"), body.dump(),
                               {}, options_.call_timeout);
  const std::lock_guard lock(attached_mutex_);
  attached_.erase(network);
}

}  // namespace orsa::runtime
