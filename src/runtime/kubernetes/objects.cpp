#include "runtime/kubernetes/objects.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/json.hpp"
#include "core/random.hpp"

namespace orsa::runtime::kubernetes {
namespace {

constexpr std::size_t kMaxLabel = 63;
constexpr const char* kJobsPolicyName = "orsa-jobs";

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A label value (and the name part of a key): at most 63 of [A-Za-z0-9-_.],
// alphanumeric at both ends; empty is allowed for values.
bool is_label_value(std::string_view v) {
  if (v.empty()) return true;
  return v.size() <= kMaxLabel && std::ranges::all_of(v, is_label_char) && is_alnum(v.front()) &&
         is_alnum(v.back());
}

bool is_label_key(std::string_view key) {
  const auto slash = key.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  return !name.empty() && is_label_value(name) && (slash == std::string_view::npos || slash <= 253);
}

// Labels the cluster can select on; a value no label may hold (a project's
// "owner/name") is kept as an annotation under the same key.
void split_labels(const std::map<std::string, std::string>& in, Json& labels, Json& annotations) {
  for (const auto& [key, value] : in) {
    if (!is_label_key(key)) continue;
    (is_label_value(value) ? labels : annotations)[key] = value;
  }
  labels[kManagedBy] = "orsa";
}

Json metadata(std::string_view name, std::string_view namespace_,
              const std::map<std::string, std::string>& labels) {
  Json meta = {{"name", name}, {"namespace", namespace_}};
  Json l = Json::object();
  Json a = Json::object();
  split_labels(labels, l, a);
  meta["labels"] = std::move(l);
  if (!a.empty()) meta["annotations"] = std::move(a);
  return meta;
}

std::string milli_cpu(double cpus) {
  return std::to_string(std::max<std::int64_t>(1, std::llround(cpus * 1000))) + "m";
}

Json resources(std::int64_t memory_bytes, double cpus) {
  // Requests equal to limits: the Guaranteed QoS class, so a tenant's pod is
  // never the first one evicted for another's burst.
  const Json amounts = {{"cpu", milli_cpu(cpus)}, {"memory", std::to_string(memory_bytes)}};
  return {{"limits", amounts}, {"requests", amounts}};
}

Result<std::int64_t> parse_id(std::string_view text) {
  std::int64_t value = -1;
  const std::string copy(text);
  const auto [end, ec] = std::from_chars(copy.data(), copy.data() + copy.size(), value);
  if (ec != std::errc() || end != copy.data() + copy.size() || value < 0) {
    return fail(Error::invalid_argument("the container user must be \"uid[:gid]\""));
  }
  return value;
}

// Non-root, read-only root, no privilege escalation, no capabilities, the
// runtime's default seccomp profile: the "restricted" Pod Security Standard.
Result<Json> container_security(const std::string& user, bool read_only_root) {
  Json sc = {{"allowPrivilegeEscalation", false},
             {"readOnlyRootFilesystem", read_only_root},
             {"runAsNonRoot", true},
             {"capabilities", {{"drop", Json::array({"ALL"})}}},
             {"seccompProfile", {{"type", "RuntimeDefault"}}}};
  if (user.empty()) return sc;
  const auto colon = user.find(':');
  auto uid = parse_id(std::string_view(user).substr(0, colon));
  if (!uid) return fail(uid.error());
  if (*uid == 0) return fail(Error::invalid_argument("a workload never runs as root"));
  sc["runAsUser"] = *uid;
  if (colon != std::string::npos) {
    auto gid = parse_id(std::string_view(user).substr(colon + 1));
    if (!gid) return fail(gid.error());
    sc["runAsGroup"] = *gid;
  }
  return sc;
}

Json env_list(const std::map<std::string, std::string>& env) {
  Json out = Json::array();
  for (const auto& [name, value] : env) out.push_back({{"name", name}, {"value", value}});
  return out;
}

Json tmp_volume(std::int64_t size) {
  return {{"name", "tmp"},
          {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", std::to_string(size)}}}};
}

// What every pod of ORSA's gets: no service-account token (tenant code must
// not reach the cluster's API), no service links in its environment.
Json pod_spec(Json container, Json volumes, const std::string& pull_secret) {
  Json spec = {{"automountServiceAccountToken", false},
               {"enableServiceLinks", false},
               {"containers", Json::array({std::move(container)})},
               {"volumes", std::move(volumes)},
               {"securityContext",
                {{"runAsNonRoot", true}, {"seccompProfile", {{"type", "RuntimeDefault"}}}}}};
  if (!pull_secret.empty()) spec["imagePullSecrets"] = Json::array({{{"name", pull_secret}}});
  return spec;
}

Json probe(const std::string& path, std::uint16_t port, int period, int failures) {
  return {{"httpGet", {{"path", path}, {"port", port}}},
          {"periodSeconds", period},
          {"timeoutSeconds", 2},
          {"failureThreshold", failures}};
}

// RFC 1123 label: what names of Services, Deployments and namespaces must be.
bool is_dns_label(std::string_view s) {
  const auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  };
  return !s.empty() && s.size() <= kMaxLabel && std::ranges::all_of(s, ok) && s.front() != '-' &&
         s.back() != '-';
}

Result<void> check_names(std::string_view name, std::string_view namespace_) {
  if (!is_dns_label(name)) {
    return fail(Error::invalid_argument("not a Kubernetes object name: " + std::string(name)));
  }
  if (!is_dns_label(namespace_)) {
    return fail(Error::invalid_argument("not a Kubernetes namespace: " + std::string(namespace_)));
  }
  return {};
}

Result<void> check_common(std::string_view name, std::string_view namespace_,
                          const std::string& image) {
  if (auto ok = check_names(name, namespace_); !ok) return ok;
  if (image.empty()) return fail(Error::invalid_argument("no image"));
  return {};
}

Json selector(const Workload& w) {
  return {{kLabelWorkload, w.name}};
}

// The container's labels, and those that tie its pods to the workload and
// to the NetworkPolicy of its network.
Result<std::map<std::string, std::string>> pod_labels(const Workload& w) {
  auto labels = w.container.labels;
  labels[kLabelWorkload] = w.name;
  const std::string& network = w.container.network;
  if (!network.empty() && network != kNoNetwork) {
    auto policy = to_dns_label(network);
    if (!policy) return fail(policy.error());
    labels[kLabelNetwork] = *policy;
  }
  return labels;
}

}  // namespace

Result<std::string> to_dns_label(std::string_view name) {
  std::string label;
  label.reserve(name.size());
  for (char c : name) {
    if (c == '_') c = '-';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    label += c;
  }
  if (!is_dns_label(label)) {
    return fail(Error::invalid_argument(
        "a Kubernetes name has letters, digits, '-' and '_' only, and at most 63 of them: " +
        std::string(name)));
  }
  return label;
}

Result<std::string> object_name(std::string_view id) {
  if (id.empty()) return fail(Error::invalid_argument("an empty id names no Kubernetes object"));
  return to_dns_label("orsa-" + std::string(id));
}

Result<std::string> deployment_object(const Workload& w) {
  const ContainerSpec& c = w.container;
  if (auto ok = check_common(w.name, w.namespace_, c.image); !ok) return fail(ok.error());
  if (w.replicas < 0) return fail(Error::invalid_argument("replicas cannot be negative"));
  auto security = container_security(c.user, c.read_only_root);
  if (!security) return fail(security.error());
  Json container = {
      {"name", "service"},
      {"image", c.image},
      {"imagePullPolicy", "IfNotPresent"},
      {"env", env_list(c.env)},
      {"ports", Json::array({{{"name", "http"}, {"containerPort", c.container_port}}})},
      {"resources", resources(c.memory_bytes, c.cpus)},
      {"securityContext", *security},
      {"volumeMounts", Json::array({{{"name", "tmp"}, {"mountPath", "/tmp"}}})},
      {"readinessProbe", probe(w.health_path, c.container_port, 2, 2)},
      {"livenessProbe", probe(w.health_path, c.container_port, 10, 6)}};
  if (!c.command.empty()) container["command"] = c.command;
  auto labels = pod_labels(w);
  if (!labels) return fail(labels.error());
  Json meta = metadata(w.name, w.namespace_, *labels);
  Json pod_meta = {{"labels", meta["labels"]}};
  Json doc = {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", meta},
      {"spec",
       {{"replicas", w.replicas},
        {"selector", {{"matchLabels", selector(w)}}},
        // A new version comes up beside the old one, which goes only once the
        // new one is ready: no call finds no replica.
        {"strategy",
         {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxUnavailable", 0}, {"maxSurge", 1}}}}},
        {"progressDeadlineSeconds", 600},
        {"revisionHistoryLimit", 2},
        {"template",
         {{"metadata", pod_meta},
          {"spec", pod_spec(std::move(container), Json::array({tmp_volume(c.tmp_size_bytes)}),
                            w.pull_secret)}}}}}};
  return doc.dump();
}

Result<std::string> service_object(const Workload& w) {
  if (auto ok = check_common(w.name, w.namespace_, w.container.image); !ok) return fail(ok.error());
  auto labels = pod_labels(w);
  if (!labels) return fail(labels.error());
  Json doc = {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", metadata(w.name, w.namespace_, *labels)},
              {"spec",
               {{"type", "ClusterIP"},
                {"selector", selector(w)},
                {"ports", Json::array({{{"name", "http"},
                                        {"protocol", "TCP"},
                                        {"port", 80},
                                        {"targetPort", w.container.container_port}}})}}}};
  return doc.dump();
}

Result<std::string> network_policy_object(const Isolation& w) {
  if (auto ok = check_names(w.name, w.namespace_); !ok) return fail(ok.error());
  if (w.port == 0) return fail(Error::invalid_argument("a policy needs the port it lets in"));
  const bool egress = w.egress;
  Json gateway_pods = Json::object();
  for (const auto& [k, v] : w.gateway_labels) gateway_pods[k] = v;
  // Only the gateway's pods may call in; nothing goes out but DNS, unless the
  // project allows egress (then anywhere but the cluster's own pods).
  Json from =
      Json::array({{{"namespaceSelector",
                     {{"matchLabels", {{"kubernetes.io/metadata.name", w.gateway_namespace}}}}},
                    {"podSelector", {{"matchLabels", gateway_pods}}}}});
  Json spec = {
      {"podSelector", {{"matchLabels", {{kLabelNetwork, w.name}}}}},
      {"policyTypes", Json::array({"Ingress", "Egress"})},
      {"ingress",
       Json::array(
           {{{"from", from}, {"ports", Json::array({{{"protocol", "TCP"}, {"port", w.port}}})}}})}};
  Json dns = {{"ports", Json::array({{{"protocol", "UDP"}, {"port", 53}},
                                     {{"protocol", "TCP"}, {"port", 53}}})}};
  Json rules = Json::array({dns});
  if (egress) {
    rules.push_back(
        {{"to",
          Json::array({{{"ipBlock",
                         {{"cidr", "0.0.0.0/0"},
                          {"except", Json::array({"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                  "169.254.0.0/16"})}}}}})}});
  }
  spec["egress"] = std::move(rules);
  Json doc = {{"apiVersion", "networking.k8s.io/v1"},
              {"kind", "NetworkPolicy"},
              {"metadata", metadata(w.name, w.namespace_, w.labels)},
              {"spec", std::move(spec)}};
  return doc.dump();
}

Result<std::string> job_object(const RunJob& r) {
  const JobSpec& j = r.job;
  if (auto ok = check_common(r.name, r.namespace_, j.image); !ok) return fail(ok.error());
  if (r.job_url.empty() || r.files_secret.empty()) {
    return fail(Error::invalid_argument("a run needs the jobs listener's URL and its token"));
  }
  if (r.time_limit.count() <= 0) return fail(Error::invalid_argument("a run needs a time limit"));
  auto security = container_security(j.user, true);
  if (!security) return fail(security.error());
  auto env = j.env;
  const std::string in = kJobInputDir;
  env["ORSA_INPUT"] = in + "/input.json";
  env["ORSA_OPTIONS"] = in + "/options.json";
  env["ORSA_OUTPUT_DIR"] = kJobOutputDir;
  env["ORSA_JOB_URL"] = r.job_url;
  Json env_vars = env_list(env);
  // The token from the Secret: a Job's spec is readable where its Secrets are not.
  env_vars.push_back(
      {{"name", "ORSA_JOB_TOKEN"},
       {"valueFrom", {{"secretKeyRef", {{"name", r.files_secret}, {"key", kJobTokenKey}}}}}});
  Json container = {
      {"name", "run"},
      {"image", j.image},
      {"imagePullPolicy", "IfNotPresent"},
      {"env", std::move(env_vars)},
      {"resources", resources(j.memory_bytes, j.cpus)},
      {"securityContext", *security},
      {"volumeMounts", Json::array({{{"name", "tmp"}, {"mountPath", "/tmp"}},
                                    {{"name", "input"}, {"mountPath", in}},
                                    {{"name", "output"}, {"mountPath", kJobOutputDir}}})}};
  if (!j.command.empty()) container["command"] = j.command;
  // Room for the input twice over: the runner writes a temporary copy first.
  const std::uint64_t input_room = 2 * r.input_bytes + 1024 * 1024;
  Json volumes = Json::array(
      {tmp_volume(j.tmp_size_bytes),
       {{"name", "input"}, {"emptyDir", {{"sizeLimit", std::to_string(input_room)}}}},
       {{"name", "output"}, {"emptyDir", {{"sizeLimit", std::to_string(j.max_output_bytes)}}}}});
  Json pod = pod_spec(std::move(container), std::move(volumes), r.pull_secret);
  pod["restartPolicy"] = "Never";
  auto labels = j.labels;
  labels[kLabelJob] = "true";
  labels[kLabelJobName] = r.name;
  Json meta = metadata(r.name, r.namespace_, labels);
  Json doc = {{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", meta},
              {"spec",
               {// A run is tried once: a model that fails fails the run.
                {"backoffLimit", 0},
                {"activeDeadlineSeconds", r.time_limit.count()},
                {"ttlSecondsAfterFinished", r.keep_after_finish.count()},
                {"template", {{"metadata", {{"labels", meta["labels"]}}}, {"spec", pod}}}}}};
  return doc.dump();
}

Result<std::string> pull_secret_object(std::string_view name, std::string_view namespace_,
                                       const RegistryAuth& auth) {
  if (auth.server.empty()) return fail(Error::invalid_argument("no registry"));
  const Json config = {{"auths",
                        {{auth.server,
                          {{"username", auth.username},
                           {"password", auth.password},
                           {"auth", base64_encode(auth.username + ":" + auth.password)}}}}}};
  Json doc = {{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", metadata(name, namespace_, {})},
              {"type", "kubernetes.io/dockerconfigjson"},
              {"data", {{".dockerconfigjson", base64_encode(config.dump())}}}};
  return doc.dump();
}

Result<std::string> job_files_secret_object(std::string_view name, std::string_view namespace_,
                                            std::string_view job_name, std::string_view token) {
  if (auto ok = check_names(name, namespace_); !ok) return fail(ok.error());
  if (token.empty()) return fail(Error::invalid_argument("a run's Secret needs its token"));
  Json doc = {{"apiVersion", "v1"},
              {"kind", "Secret"},
              {"metadata", metadata(name, namespace_,
                                    {{kLabelJob, "true"}, {kLabelJobName, std::string(job_name)}})},
              {"type", "Opaque"},
              {"data", {{kJobTokenKey, base64_encode(token)}}}};
  return doc.dump();
}

Result<std::string> jobs_network_policy_object(
    std::string_view namespace_, std::string_view gateway_namespace,
    const std::map<std::string, std::string>& gateway_labels, std::uint16_t jobs_port) {
  if (auto ok = check_names(kJobsPolicyName, namespace_); !ok) return fail(ok.error());
  if (jobs_port == 0) return fail(Error::invalid_argument("the jobs listener needs its port"));
  Json gateway_pods = Json::object();
  for (const auto& [k, v] : gateway_labels) gateway_pods[k] = v;
  Json to = Json::array(
      {{{"namespaceSelector",
         {{"matchLabels", {{"kubernetes.io/metadata.name", std::string(gateway_namespace)}}}}},
        {"podSelector", {{"matchLabels", gateway_pods}}}}});
  Json dns = {{"ports", Json::array({{{"protocol", "UDP"}, {"port", 53}},
                                     {{"protocol", "TCP"}, {"port", 53}}})}};
  Json jobs = {{"to", to}, {"ports", Json::array({{{"protocol", "TCP"}, {"port", jobs_port}}})}};
  Json doc = {{"apiVersion", "networking.k8s.io/v1"},
              {"kind", "NetworkPolicy"},
              {"metadata", metadata(kJobsPolicyName, namespace_, {})},
              {"spec",
               {{"podSelector", {{"matchLabels", {{kLabelJob, "true"}}}}},
                {"policyTypes", Json::array({"Ingress", "Egress"})},
                {"ingress", Json::array()},
                {"egress", Json::array({dns, jobs})}}}};
  return doc.dump();
}

}  // namespace orsa::runtime::kubernetes
