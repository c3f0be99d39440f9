// Prints, as one Kubernetes List, the objects ORSA generates for a set of
// representative specs: the input of the Kubernetes contract test
// (tests/kube/validate_objects.py checks each against the API's schema).

#include <iostream>

#include "core/json.hpp"
#include "runtime/kubernetes/objects.hpp"

using namespace orsa::runtime;
using namespace orsa::runtime::kubernetes;
using orsa::Json;

namespace {

Workload workload(std::int32_t replicas, std::string user) {
  Workload w;
  w.name = "orsa-dep-knap";
  w.namespace_ = "orsa-tenant-alice";
  w.container.image = "127.0.0.1:8080/alice/knap@sha256:" + std::string(64, 'a');
  w.container.labels = {{kLabelManaged, "true"},
                        {kLabelDeployment, "dep_knap"},
                        {kLabelProject, "alice/knap"},
                        {kLabelOwner, "usr_alice"}};
  w.container.env = {{"ORSA_PROJECT", "alice/knap"}, {"WORKERS", "2"}};
  w.container.command = {"gunicorn", "-b", "0.0.0.0:8000", "app:app"};
  w.container.user = std::move(user);
  w.container.network = "orsa-net-dep_knap";
  w.replicas = replicas;
  w.pull_secret = "orsa-pull";
  return w;
}

bool add(Json& items, const orsa::Result<std::string>& object) {
  if (!object) {
    std::cerr << "objects_dump: " << object.error().message << "\n";
    return false;
  }
  items.push_back(Json::parse(*object));
  return true;
}

}  // namespace

int main() {
  Json items = Json::array();
  bool ok = true;
  for (const auto& w : {workload(2, "65534:65534"), workload(0, "")}) {
    ok = add(items, deployment_object(w)) && ok;
    ok = add(items, service_object(w)) && ok;
    ok = add(items, network_policy_object({.name = "orsa-net-dep-knap",
                                           .namespace_ = w.namespace_,
                                           .labels = w.container.labels,
                                           .egress = w.replicas > 0})) &&
         ok;
  }
  RunJob run;
  run.name = "orsa-run-1";
  run.namespace_ = "orsa-tenant-alice";
  run.job.image = "127.0.0.1:8080/alice/knap@sha256:" + std::string(64, 'a');
  run.job.labels = {{"orsa.run", "run_1"}};
  run.job.user = "65534:65534";
  run.job.command = {"python3", "-m", "orsa_service.run"};
  run.job_url = "http://10.0.0.5:8082/jobs/run_1";
  run.files_secret = "orsa-run-1-files";
  run.input_bytes = 1024;
  ok = add(items, job_object(run)) && ok;
  ok = add(items, job_files_secret_object("orsa-run-1-files", "orsa-tenant-alice", "orsa-run-1",
                                          "a-job-token")) &&
       ok;
  ok = add(items, jobs_network_policy_object("orsa-tenant-alice", "orsa",
                                             {{"app.kubernetes.io/name", "orsa"}}, 8082)) &&
       ok;
  ok = add(items, pull_secret_object("orsa-pull", "orsa-tenant-alice",
                                     {"127.0.0.1:8080", "alice", "pull-token"})) &&
       ok;
  std::cout << Json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}}.dump(2) << "\n";
  return ok ? 0 : 1;
}
