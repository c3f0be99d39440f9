#pragma once

// Docker Engine API bodies of Swarm mode (services, tasks, nodes): building
// requests and parsing responses, apart from the transport so they are
// unit-tested on samples recorded from a real dockerd (testdata/swarm_*).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "runtime/runtime.hpp"

namespace orsa::runtime::swarm {

/// How a deployment becomes a Swarm service beyond what ContainerSpec says.
struct ServiceOptions {
  std::int32_t replicas = 1;  // 0: scaled to zero
  // A command the engine runs in the container to decide it is healthy
  // (blue/green: a new task replaces an old one only once healthy); empty:
  // the image's own HEALTHCHECK, if any.
  std::vector<std::string> health_command;
};

/// Body of `POST /services/create` (and of `/services/{id}/update`): the
/// container hardened as on docker-api, host-mode published port (no routing
/// mesh: each task publishes on its own node, the gateway balances), start-first
/// rolling updates that roll back on failure, restart on failure by the
/// engine (a task on a lost node is rescheduled elsewhere).
std::string service_spec(const ContainerSpec& spec, const ServiceOptions& options);

/// A container name as a service name: a DNS label, as the swarm's DNS
/// serves it ("orsa-dep_1-ab" → "orsa-dep-1-ab").
std::string service_name(std::string_view name);

/// Body of `POST /networks/create` for a deployment's overlay network:
/// attachable, never internal (see the definition), egress as a label.
std::string overlay_network_body(const NetworkSpec& spec);

/// How a run becomes a one-shot service (ADR 0021): its pod-like task
/// fetches its input from the jobs listener and uploads its output there.
struct JobServiceOptions {
  std::string job_url;       // JobFilesAccess::url
  std::string token_secret;  // the Swarm secret holding the token (name and ID)
  std::string token_secret_id;
  std::string network;            // its own overlay, the way to the jobs listener
  std::uint64_t input_bytes = 0;  // input.json and options.json: sizes their tmpfs
};

/// Where the token's secret appears in a job's container.
inline constexpr const char* kJobTokenFile = "/run/secrets/orsa-job-token";

/// Body of `POST /services/create` for a job: one task, never restarted,
/// hardened as a deployment's container, the input and output on tmpfs
/// volumes of their capacity, the token as a secret file.
std::string job_service_spec(const JobSpec& spec, const JobServiceOptions& options);

/// Body of `POST /secrets/create`.
std::string secret_body(std::string_view name, const std::map<std::string, std::string>& labels,
                        std::string_view data);

/// What `GET /services/{id}` says that the adapter needs.
struct Service {
  std::string id;
  std::string name;
  std::uint64_t version = 0;  // Version.Index: an update must name it
  std::string spec;           // the Spec object, as JSON text (for updates)
  std::int32_t replicas = 0;
  std::string image;
  std::map<std::string, std::string> labels;
  std::int64_t created_at = 0;  // unix seconds
};

Result<Service> parse_service(std::string_view json);
/// The service id in a `POST /services/create` response.
Result<std::string> parse_created_id(std::string_view json);
/// A `GET /services` body.
Result<std::vector<Service>> parse_services(std::string_view json);

/// One task of a service.
struct Task {
  std::string id;
  std::string node_id;
  std::string state;          // Status.State: "running", "failed", "shutdown", …
  std::string desired_state;  // "running", "shutdown"
  std::string error;          // Status.Err
  std::string container_id;
  int exit_code = 0;
  std::uint16_t published_port = 0;  // the host-mode port on its node; 0: none yet
  std::int64_t updated_at = 0;       // unix seconds of Status.Timestamp
};

/// A `GET /tasks` body.
Result<std::vector<Task>> parse_tasks(std::string_view json);

struct Node {
  std::string id;
  std::string address;       // Status.Addr: where its published ports are reached
  std::string state;         // "ready", "down", …
  std::string availability;  // "active", "pause", "drain"
};

/// A `GET /nodes` body.
Result<std::vector<Node>> parse_nodes(std::string_view json);

/// Spec with its replica count set to `replicas` (scale), as JSON text.
Result<std::string> with_replicas(std::string_view spec, std::int32_t replicas);

}  // namespace orsa::runtime::swarm
