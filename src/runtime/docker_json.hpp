#pragma once

// Docker Engine API bodies: building requests and parsing responses. Kept
// apart from the transport so it is unit-tested on recorded samples.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "runtime/runtime.hpp"

namespace orsa::runtime::docker {

/// Body of `POST /containers/create`; `userns_mode` "" keeps the engine's default.
std::string create_body(const ContainerSpec& spec, std::string_view userns_mode = {});

/// Body of `POST /networks/create`; `bridge_name` "" lets the engine pick one.
std::string create_network_body(const NetworkSpec& spec, std::string_view bridge_name);

/// A network as inspected: what the port shows plus what the adapter needs
/// to give the host an address on it.
struct NetworkDetails {
  NetworkInfo info;
  std::string subnet;   // IPv4 "10.89.3.0/24", "" when unknown
  std::string gateway;  // "" when the engine gave the host no address (CNI internal)
  std::string bridge;   // host interface, when the engine reports it
};

/// A `GET /networks/{name}` body.
Result<NetworkDetails> parse_network(std::string_view json);

/// A `GET /networks` body.
Result<std::vector<NetworkInfo>> parse_network_list(std::string_view json);

/// The container id in a `POST /containers/create` response.
Result<std::string> parse_created_id(std::string_view json);

/// The `Version` in a `GET /version` response ("" when absent).
std::string parse_version(std::string_view json);

/// A `GET /containers/{id}/json` body as ContainerInfo.
Result<ContainerInfo> parse_inspect(std::string_view json);

/// A `GET /containers/json` body: ids, names, images, labels, states, ports
/// (no exit code or times: those come from inspect).
Result<std::vector<ContainerInfo>> parse_list(std::string_view json);

/// One line of `GET /events`; nullopt for malformed or non-container events.
std::optional<Event> parse_event(std::string_view line);

/// The error of one line of a JSON progress stream (pull), if it reports one.
std::optional<std::string> progress_error(std::string_view line);

/// The `message` of a Docker error body, else the (shortened) body itself.
std::string error_message(std::string_view body);

/// `{"label":["k=v",…]}` (plus `"type":["container"]` for events), for `filters=`.
std::string label_filters(const std::map<std::string, std::string>& labels, bool container_events);

/// `X-Registry-Auth` value: padded base64url of {username, password, serveraddress}.
std::string registry_auth(const RegistryAuth& auth);

/// Docker's `State.Status` (podman adds "configured" and "stopped").
ContainerState parse_state(std::string_view status);

}  // namespace orsa::runtime::docker
