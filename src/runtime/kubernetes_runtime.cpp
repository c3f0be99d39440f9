#include "runtime/kubernetes_runtime.hpp"

#include <algorithm>
#include <charconv>
#include <ranges>
#include <tuple>

#include "core/json.hpp"
#include "core/strings.hpp"
#include "core/time.hpp"
#include "kubernetes/answers.hpp"
#include "kubernetes/api_client.hpp"
#include "kubernetes/job_watch.hpp"
#include "kubernetes/requests.hpp"
#include "runtime/docker_api_runtime.hpp"
#include "runtime/kubernetes/objects.hpp"

namespace orsa::runtime {
namespace {

using kubernetes::has_labels;
using kubernetes::info_of;
using kubernetes::label_selector;
using kubernetes::labels_of;
using kubernetes::parse;
using kubernetes::read_list;
using kubernetes::status_error;
using kubernetes::text_at;

// The replicas a Deployment was created with: start() scales back to them.
constexpr const char* kLabelReplicas = "orsa.replicas";
// ORSA's own name of a network (the NetworkPolicy's is its DNS form).
constexpr const char* kLabelNetworkName = "orsa.network-name";
constexpr const char* kLabelEgress = "orsa.egress";
// How long a watch lasts before it is made again (the server may end it sooner).
constexpr int kWatchSeconds = 290;

std::string api_path(std::string_view kind) {
  if (kind == "deployments") return "/apis/apps/v1";
  if (kind == "networkpolicies") return "/apis/networking.k8s.io/v1";
  if (kind == "jobs") return "/apis/batch/v1";
  return "/api/v1";
}

std::int32_t replicas_label(const std::map<std::string, std::string>& labels, std::int32_t max) {
  const auto it = labels.find(kLabelReplicas);
  if (it == labels.end()) return 1;
  std::int32_t n = 0;
  const std::string& text = it->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > max) return 1;
  return n;
}

}  // namespace

KubernetesRuntime::KubernetesRuntime(KubernetesOptions options)
    : options_(std::move(options)),
      api_(std::make_unique<kubernetes::ApiClient>(options_.access, options_.call_timeout)),
      job_watch_(std::make_unique<kubernetes::JobWatch>(*api_, objects("jobs"),
                                                        std::string(kLabelJob) + "=true")) {}

KubernetesRuntime::~KubernetesRuntime() = default;

std::string KubernetesRuntime::objects(std::string_view kind, std::string_view name) const {
  std::string path =
      api_path(kind) + "/namespaces/" + options_.namespace_ + "/" + std::string(kind);
  // Names come from answers too (a pod's): one segment, whatever it holds.
  if (!name.empty()) path += "/" + percent_encode(name);
  return path;
}

Result<std::string> KubernetesRuntime::version() {
  auto reply = api_->request("GET", "/version");
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(status_error(reply->status, reply->body, "version"));
  auto doc = parse(*reply, "version");
  if (!doc) return fail(doc.error());
  // Also proves the namespace is there and ours to use.
  auto ns = api_->request("GET", "/api/v1/namespaces/" + options_.namespace_);
  if (!ns) return fail(ns.error());
  if (ns->status != 200) {
    return fail(status_error(ns->status, ns->body, "namespace " + options_.namespace_));
  }
  return doc->value("gitVersion", "");
}

Result<void> KubernetesRuntime::pull(const std::string& image, const RegistryAuth& auth) {
  if (image.empty() || image.find_first_of(" \t\r\n") != std::string::npos) {
    return fail(Error::invalid_argument("invalid image reference '" + image + "'"));
  }
  // The nodes pull when a pod starts there, with the workload's pull Secret.
  std::lock_guard lock(auth_mutex_);
  auth_by_image_.insert_or_assign(image, auth);
  return {};
}

Result<void> KubernetesRuntime::apply(std::string_view kind, const std::string& name,
                                      const std::string& body) {
  auto created = api_->request("POST", objects(kind), body);
  if (!created) return fail(created.error());
  if (created->status == 201 || created->status == 200) return {};
  Error error =
      status_error(created->status, created->body, "create " + std::string(kind) + " " + name);
  if (error.code != ErrorCode::kConflict) return fail(std::move(error));
  // Left by a run() that failed half-way, or a restart of ORSA's: replaced.
  auto removed = api_->request("DELETE", objects(kind, name));
  if (!removed) return fail(removed.error());
  auto again = api_->request("POST", objects(kind), body);
  if (!again) return fail(again.error());
  if (again->status == 201 || again->status == 200) return {};
  return fail(status_error(again->status, again->body, "create " + std::string(kind) + " " + name));
}

Result<void> KubernetesRuntime::ensure_pull_secret(const std::string& name,
                                                   const RegistryAuth& auth) {
  auto body = kubernetes::pull_secret_object(name, options_.namespace_, auth);
  if (!body) return fail(body.error());
  return apply("secrets", name, *body);
}

Result<std::string> KubernetesRuntime::run(const ContainerSpec& spec) {
  if (auto valid = validate_spec(spec); !valid) return fail(valid.error());
  if (spec.replicas < 1 || spec.replicas > options_.max_replicas) {
    return fail(
        Error::invalid_argument("replicas must be 1 to " + std::to_string(options_.max_replicas)));
  }
  auto name = kubernetes::to_dns_label(spec.name);
  if (!name) return fail(name.error());
  kubernetes::Workload w{.name = *name,
                         .namespace_ = options_.namespace_,
                         .container = spec,
                         .replicas = spec.replicas,
                         .gateway_namespace = options_.gateway_namespace,
                         .gateway_labels = options_.gateway_labels};
  w.container.labels[kLabelReplicas] = std::to_string(spec.replicas);
  std::optional<RegistryAuth> auth;
  {
    std::lock_guard lock(auth_mutex_);
    if (const auto it = auth_by_image_.find(spec.image); it != auth_by_image_.end()) {
      auth = it->second;
    }
  }
  if (auth && !auth->server.empty() && (!auth->username.empty() || !auth->password.empty())) {
    w.pull_secret = *name + "-pull";
    if (auto ok = ensure_pull_secret(w.pull_secret, *auth); !ok) return fail(ok.error());
  }
  auto deployment = kubernetes::deployment_object(w);
  if (!deployment) return fail(deployment.error());
  auto service = kubernetes::service_object(w);
  if (!service) return fail(service.error());
  if (auto ok = apply("deployments", *name, *deployment); !ok) {
    std::ignore = remove(*name);
    return fail(ok.error());
  }
  if (auto ok = apply("services", *name, *service); !ok) {
    std::ignore = remove(*name);
    return fail(ok.error());
  }
  return *name;
}

Result<ContainerInfo> KubernetesRuntime::inspect(const std::string& id) {
  if (auto ok = kubernetes::to_dns_label(id); !ok || *ok != id) {
    return fail(Error::invalid_argument("invalid workload id '" + id + "'"));
  }
  auto reply = api_->request("GET", objects("deployments", id));
  if (!reply) return fail(reply.error());
  if (reply->status != 200) {
    return fail(status_error(reply->status, reply->body, "inspect deployment " + id));
  }
  return describe(reply->body);
}

Result<ContainerInfo> KubernetesRuntime::describe(const std::string& deployment_json) {
  auto deployment = Json::parse(deployment_json, nullptr, false);
  const std::string name = text_at(deployment, Json::json_pointer("/metadata/name"));
  if (name.empty()) return fail(Error::unavailable("a Deployment answer that is not one"));
  auto pods = api_->request(
      "GET", objects("pods") + "?labelSelector=" +
                 percent_encode(std::string(kubernetes::kLabelWorkload) + "=" + name));
  if (!pods) return fail(pods.error());
  if (pods->status != 200) return fail(status_error(pods->status, pods->body, "pods of " + name));
  auto list = parse(*pods, "pods of " + name);
  if (!list) return fail(list.error());
  const Json items = list->contains("items") ? (*list)["items"] : Json::array();
  return info_of(deployment, items);
}

Result<void> KubernetesRuntime::scale(const std::string& id, std::optional<std::int32_t> replicas) {
  std::int32_t want = 0;
  if (replicas) {
    want = *replicas;
  } else {
    auto info = inspect(id);
    if (!info) return fail(info.error());
    want = replicas_label(info->labels, options_.max_replicas);
  }
  const std::string patch = Json{{"spec", {{"replicas", want}}}}.dump();
  auto reply =
      api_->request("PATCH", objects("deployments", id), patch, "application/merge-patch+json");
  if (!reply) return fail(reply.error());
  if (reply->status == 200) return {};
  return fail(status_error(reply->status, reply->body, "scale deployment " + id));
}

Result<void> KubernetesRuntime::start(const std::string& id) {
  return scale(id, std::nullopt);
}

Result<void> KubernetesRuntime::stop(const std::string& id, std::chrono::seconds grace) {
  // Each pod gets its template's terminationGracePeriodSeconds.
  static_cast<void>(grace);
  return scale(id, 0);
}

Result<void> KubernetesRuntime::remove(const std::string& id) {
  if (auto ok = kubernetes::to_dns_label(id); !ok || *ok != id) {
    return fail(Error::invalid_argument("invalid workload id '" + id + "'"));
  }
  // The pods go with their Deployment (the garbage collector, in background).
  const std::tuple<const char*, std::string, const char*> parts[] = {
      {"deployments", id, "?propagationPolicy=Background"},
      {"services", id, ""},
      {"secrets", id + "-pull", ""}};
  for (const auto& [kind, name, query] : parts) {
    auto reply = api_->request("DELETE", objects(kind, name) + query);
    if (!reply) return fail(reply.error());
    if (reply->status != 200 && reply->status != 202 && reply->status != 404) {
      return fail(
          status_error(reply->status, reply->body, "delete " + std::string(kind) + " " + id));
    }
  }
  return {};
}

Result<std::vector<ContainerInfo>> KubernetesRuntime::list(
    const std::map<std::string, std::string>& labels) {
  auto deployments = read_list(
      *api_, objects("deployments") + "?labelSelector=" + percent_encode(label_selector(labels)),
      "list deployments");
  if (!deployments) return fail(deployments.error());
  // Every workload's pods in one read: the reconciler lists each pass, and a
  // read per deployment would grow with them.
  auto pods = read_list(*api_, objects("pods") + "?labelSelector=" + kubernetes::kLabelWorkload,
                        "list pods");
  if (!pods) return fail(pods.error());
  std::map<std::string, Json> pods_of;
  for (const Json& pod : *pods) {
    const auto pod_labels = labels_of(pod);
    const auto workload = pod_labels.find(kubernetes::kLabelWorkload);
    if (workload == pod_labels.end()) continue;
    auto [it, added] = pods_of.try_emplace(workload->second, Json::array());
    it->second.push_back(pod);
  }
  std::vector<ContainerInfo> out;
  for (const Json& deployment : *deployments) {
    if (!has_labels(labels_of(deployment), labels)) continue;
    const auto it = pods_of.find(text_at(deployment, Json::json_pointer("/metadata/name")));
    out.push_back(info_of(deployment, it == pods_of.end() ? Json::array() : it->second));
  }
  return out;
}

Result<void> KubernetesRuntime::logs(const std::string& id, const LogOptions& options,
                                     const std::function<bool(const LogLine&)>& sink) {
  auto info = inspect(id);
  if (!info) return fail(info.error());
  return pod_logs(std::string(kubernetes::kLabelWorkload) + "=" + id, options, sink);
}

Result<void> KubernetesRuntime::pod_logs(const std::string& selector, const LogOptions& options,
                                         const std::function<bool(const LogLine&)>& sink) {
  auto pods = api_->request("GET", objects("pods") + "?labelSelector=" + percent_encode(selector));
  if (!pods) return fail(pods.error());
  if (pods->status != 200) {
    return fail(status_error(pods->status, pods->body, "pods of " + selector));
  }
  auto list = parse(*pods, "pods of " + selector);
  if (!list) return fail(list.error());
  std::string query = "?timestamps=true";
  if (options.tail) query += "&tailLines=" + std::to_string(*options.tail);
  if (options.since) query += "&sinceTime=" + percent_encode(format_rfc3339(*options.since));
  // Each pod's lines in turn; "2026-12-07T19:00:00.123456789Z text" per line.
  const auto on_line = [&](std::string_view line) {
    LogLine out;
    const auto space = line.find(' ');
    if (const auto at = parse_rfc3339(line.substr(0, space)); at && space != line.npos) {
      out.at_ns = *at * 1'000'000'000;
      line.remove_prefix(space + 1);
    }
    out.text = std::string(line);
    return sink(out);
  };
  const std::function<bool()> keep_going =
      options.keep_going ? options.keep_going : std::function<bool()>([] { return true; });
  const Json& items = (*list)["items"];
  for (const Json& pod : items.is_array() ? items : Json::array()) {
    const std::string pod_name = text_at(pod, Json::json_pointer("/metadata/name"));
    if (pod_name.empty()) continue;
    const std::string path = objects("pods", pod_name) + "/log" + query;
    if (options.follow) {
      // One pod followed: the stream of a Deployment's first replica.
      return api_->watch(path + "&follow=true", on_line, keep_going);
    }
    auto reply = api_->request("GET", path);
    if (!reply) return fail(reply.error());
    if (reply->status != 200) {
      return fail(status_error(reply->status, reply->body, "logs of " + pod_name));
    }
    for (const auto part : std::views::split(std::string_view(reply->body), '\n')) {
      const std::string_view line(part.begin(), part.end());
      if (!line.empty() && !on_line(line)) return {};
    }
  }
  return {};
}

Result<void> KubernetesRuntime::events(const std::map<std::string, std::string>& labels,
                                       const std::function<bool(const Event*)>& sink) {
  // Deployments watched from the version their list had: one whose ready
  // replicas fall short of its spec is a "die" for the reconciler.
  const std::string selector = "labelSelector=" + percent_encode(label_selector(labels));
  auto listed = api_->request("GET", objects("deployments") + "?" + selector);
  if (!listed) return fail(listed.error());
  if (listed->status != 200) return fail(status_error(listed->status, listed->body, "list"));
  auto doc = parse(*listed, "list deployments");
  if (!doc) return fail(doc.error());
  std::string version = text_at(*doc, Json::json_pointer("/metadata/resourceVersion"));
  bool keep = true;
  const auto on_event = [&](std::string_view line) {
    auto event = kubernetes::parse_watch_event(line);
    if (!event) return true;
    if (event->type == "ERROR") return false;  // 410: the version is too old; listed again
    version = event->resource_version;
    Event out{.container_id = event->name, .action = "", .labels = std::move(event->labels)};
    if (event->type == "DELETED") {
      out.action = "destroy";
    } else if (event->ready < event->wanted) {
      out.action = "die";
    } else {
      out.action = "start";
    }
    keep = sink(&out);
    return keep;
  };
  while (keep) {
    const std::string path = objects("deployments") + "?watch=1&" + selector +
                             "&timeoutSeconds=" + std::to_string(kWatchSeconds) +
                             (version.empty() ? "" : "&resourceVersion=" + version);
    // Once the sink has said stop, a tick must not undo it.
    auto watched = api_->watch(path, on_event, [&] { return keep = keep && sink(nullptr); });
    if (!watched) return fail(watched.error());
  }
  return {};
}

Result<void> KubernetesRuntime::remove_image(const std::string& image) {
  // Images live on the nodes that ran them; their kubelets collect them.
  static_cast<void>(image);
  return {};
}

Result<void> KubernetesRuntime::create_network(const NetworkSpec& spec) {
  auto name = kubernetes::to_dns_label(spec.name);
  if (!name) return fail(name.error());
  kubernetes::Isolation isolation{.name = *name,
                                  .namespace_ = options_.namespace_,
                                  .labels = spec.labels,
                                  .egress = spec.egress,
                                  .gateway_namespace = options_.gateway_namespace,
                                  .gateway_labels = options_.gateway_labels};
  isolation.labels[kLabelNetworkName] = spec.name;
  isolation.labels[kLabelEgress] = spec.egress ? "true" : "false";
  auto body = kubernetes::network_policy_object(isolation);
  if (!body) return fail(body.error());
  auto created = api_->request("POST", objects("networkpolicies"), *body);
  if (!created) return fail(created.error());
  if (created->status == 201 || created->status == 200) return {};
  Error error = status_error(created->status, created->body, "create network " + spec.name);
  if (error.code != ErrorCode::kConflict) return fail(std::move(error));
  auto existing = list_networks({{kLabelNetworkName, spec.name}});
  if (!existing) return fail(existing.error());
  if (existing->empty() || existing->front().internal == spec.egress) {
    return fail(Error::conflict("network " + spec.name + " exists with other egress"));
  }
  return {};
}

Result<void> KubernetesRuntime::remove_network(const std::string& name) {
  auto policy = kubernetes::to_dns_label(name);
  if (!policy) return fail(policy.error());
  auto reply = api_->request("DELETE", objects("networkpolicies", *policy));
  if (!reply) return fail(reply.error());
  if (reply->status == 200 || reply->status == 202 || reply->status == 404) return {};
  return fail(status_error(reply->status, reply->body, "delete network " + name));
}

Result<std::vector<NetworkInfo>> KubernetesRuntime::list_networks(
    const std::map<std::string, std::string>& labels) {
  auto reply = api_->request("GET", objects("networkpolicies") +
                                        "?labelSelector=" + percent_encode(label_selector(labels)));
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(status_error(reply->status, reply->body, "list networks"));
  auto doc = parse(*reply, "list networks");
  if (!doc) return fail(doc.error());
  std::vector<NetworkInfo> out;
  if (!doc->contains("items")) return out;
  const Json& items = (*doc)["items"];
  for (const Json& policy : items.is_array() ? items : Json::array()) {
    auto found = labels_of(policy);
    if (!has_labels(found, labels) || !found.contains(kLabelNetworkName)) continue;
    out.push_back({.id = text_at(policy, Json::json_pointer("/metadata/uid")),
                   .name = found[kLabelNetworkName],
                   .labels = found,
                   .internal = found[kLabelEgress] != "true"});
  }
  return out;
}

}  // namespace orsa::runtime
