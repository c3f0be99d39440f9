// What the container engine answers, as the runtime reads it: container
// inspection (state, ports, networks), a job's state, the stats a run's
// CPU time and a paused deployment's memory are read from, and a swarm's
// services, tasks and nodes. Whatever the bytes, each parser answers (a
// value or an error, never a crash) and the figures it reads are positive
// or absent; a service spec scaled keeps its new replica count.

#include <string_view>

#include "../fuzz/check.hpp"
#include "runtime/docker_job_json.hpp"
#include "runtime/docker_json.hpp"
#include "runtime/swarm_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = orsa::fuzz::as_text(data, size);
  namespace docker = orsa::runtime::docker;
  if (const auto cpu = docker::parse_cpu_usage_ns(bytes)) ORSA_FUZZ_CHECK(*cpu > 0);
  if (const auto memory = docker::parse_memory_usage(bytes)) ORSA_FUZZ_CHECK(*memory > 0);
  (void)docker::parse_inspect(bytes);
  (void)docker::parse_job_state(bytes);
  namespace swarm = orsa::runtime::swarm;
  (void)swarm::parse_created_id(bytes);
  (void)swarm::parse_nodes(bytes);
  if (const auto service = swarm::parse_service(bytes)) {
    ORSA_FUZZ_CHECK(!service->id.empty());
    const auto scaled = swarm::with_replicas(service->spec, 3);
    ORSA_FUZZ_CHECK(scaled.has_value());
    const auto again = swarm::parse_service(R"({"ID":"x","Spec":)" + *scaled + "}");
    ORSA_FUZZ_CHECK(again && again->replicas == 3);
  }
  (void)swarm::parse_services(bytes);
  (void)swarm::parse_tasks(bytes);
  return 0;
}
