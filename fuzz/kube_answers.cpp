// What the Kubernetes API server answers, as the runtime reads it: a
// Deployment with its pods (the input as {"deployment": …, "pods": […]}, or
// any JSON as both) and a watch line. Whatever the bytes, the readers answer
// without throwing, and the view they give holds together: running exactly
// when a ready pod has an address, the first of the sorted endpoints being
// the address, ports never 0. A Job with its pods (the same input) reads
// likewise: an exit code only from a terminated container, a deadline only
// on a finished Job.

#include <algorithm>
#include <string_view>
#include <tuple>

#include "../fuzz/check.hpp"
#include "runtime/kubernetes/answers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = orsa::fuzz::as_text(data, size);
  namespace kube = orsa::runtime::kubernetes;
  using orsa::Json;
  using orsa::runtime::ContainerState;
  using orsa::runtime::Endpoint;

  const Json doc = Json::parse(bytes, nullptr, false);
  const bool split = doc.is_object() && doc.contains("deployment");
  const Json& deployment = split ? doc["deployment"] : doc;
  const Json& pods = split && doc.contains("pods") ? doc["pods"] : doc;
  const auto info = kube::info_of(deployment, pods);
  ORSA_FUZZ_CHECK((info.state == ContainerState::kRunning) == !info.endpoints.empty());
  ORSA_FUZZ_CHECK(std::ranges::is_sorted(
      info.endpoints, {}, [](const Endpoint& e) { return std::tie(e.host, e.port); }));
  ORSA_FUZZ_CHECK(info.endpoints.empty() || info.ip_address == info.endpoints.front().host);
  ORSA_FUZZ_CHECK(std::ranges::none_of(
      info.endpoints, [](const Endpoint& e) { return e.port == 0 || e.host.empty(); }));
  (void)kube::labels_of(doc);
  const auto job = kube::job_state_of(deployment, pods);
  ORSA_FUZZ_CHECK(!job.deadline_exceeded || job.finished);
  ORSA_FUZZ_CHECK(job.exit_known || (job.exit_code == 0 && !job.oom_killed));
  ORSA_FUZZ_CHECK(!job.exit_known || job.pod_started);
  const auto job_info = kube::job_info_of(deployment);
  ORSA_FUZZ_CHECK(job_info.state == ContainerState::kRunning ||
                  job_info.state == ContainerState::kExited);
  if (const auto event = kube::parse_watch_event(bytes)) {
    ORSA_FUZZ_CHECK(doc.is_object() && doc.contains("object"));
  }
  return 0;
}
