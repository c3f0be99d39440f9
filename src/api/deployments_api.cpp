// Routes for deployments: create, list, stop/start, delete, logs (with live
// following) and gateway metrics.

#include <charconv>
#include <chrono>
#include <cmath>

#include "api/api.hpp"
#include "api_support.hpp"
#include "core/time.hpp"
#include "http/sse.hpp"
#include "services/deployments.hpp"

namespace orsa::api {
namespace {

constexpr std::size_t kDeployBodyLimit = 64 * 1024;
constexpr std::size_t kMaxTail = 10000;
constexpr std::chrono::seconds kHeartbeat{15};

/// The service's absolute URL on the services origin, or null.
Json service_url(const ServiceAddress* services, const store::Deployment& d) {
  auto url = services ? services->url(d.owner_username, d.project_name) : std::nullopt;
  return url ? Json(*url) : Json(nullptr);
}

Json deployment_json(const store::Deployment& d, const ServiceAddress* services) {
  // A paused deployment is live: the next request thaws it.
  const bool live = d.desired_running && (d.status == store::DeploymentStatus::kHealthy ||
                                          d.status == store::DeploymentStatus::kPaused);
  Json env = Json::parse(d.env_json, nullptr, false);
  if (!env.is_object()) env = Json::object();
  return {{"id", d.id},
          {"owner", d.owner_username},
          {"project", d.project_name},
          {"image_id", d.image_id},
          {"image_tag", d.image_tag},
          {"image_digest", d.image_digest},
          {"status", store::deployment_status_name(d.status)},
          {"status_reason", d.status_reason},
          {"desired", d.desired_running ? "running" : "stopped"},
          {"live", live},
          {"visibility", store::visibility_name(d.visibility)},
          {"memory_mb", d.memory_mb},
          {"cpus", static_cast<double>(d.cpu_millis) / 1000.0},
          {"replicas", d.replicas},
          {"env", env},
          {"url", service_url(services, d)},
          {"restarts", d.restarts},
          {"created_at", format_rfc3339(d.created_at)},
          {"updated_at", format_rfc3339(d.updated_at)},
          {"started_at", optional_time(d.started_at)},
          {"last_request_at", optional_time(d.last_request_at)}};
}

/// The body writers respond() takes.
auto json_of(const ServiceAddress* services) {
  return [services](const store::Deployment& d) { return deployment_json(d, services); };
}
auto json_of_list(const ServiceAddress* services) {
  return [services](const std::vector<store::Deployment>& list) {
    Json out = Json::array();
    for (const auto& d : list) out.push_back(deployment_json(d, services));
    return Json{{"deployments", out}};
  };
}

Json metrics_json(const std::string& id, const services::DeploymentMetrics& m) {
  const gateway::StatsSnapshot& s = m.stats;
  Json buckets = Json::array();
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < s.latency_buckets.size(); ++i) {
    cumulative += s.latency_buckets[i];
    const Json le =
        i < gateway::kLatencyBuckets.size() ? Json(gateway::kLatencyBuckets[i]) : Json("+Inf");
    buckets.push_back({{"le", le}, {"count", cumulative}});
  }
  const auto& r = s.requests_by_class;
  return {{"deployment_id", id},
          {"requests", {{"1xx", r[0]}, {"2xx", r[1]}, {"3xx", r[2]}, {"4xx", r[3]}, {"5xx", r[4]}}},
          {"bytes_in", s.bytes_in},
          {"bytes_out", s.bytes_out},
          {"in_flight", s.in_flight},
          {"workers", m.workers},
          {"queued", m.queued},
          {"latency",
           {{"buckets", buckets}, {"sum_seconds", s.latency_sum_seconds}, {"count", cumulative}}},
          {"last_request_at", optional_time(s.last_request_at)}};
}

Result<std::optional<double>> optional_number(const JsonObjectReader& body, std::string_view key) {
  const Json* value = body.find(key);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_number())
    return fail(Error::invalid_argument(std::string(key) + " must be a number"));
  return value->get<double>();
}

Result<std::optional<std::map<std::string, std::string>>> optional_env(
    const JsonObjectReader& body) {
  const Json* value = body.find("env");
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_object()) return fail(Error::invalid_argument("env must be an object of strings"));
  std::map<std::string, std::string> env;
  for (const auto& [name, v] : value->items()) {
    if (!v.is_string()) return fail(Error::invalid_argument("env." + name + " must be a string"));
    env[name] = v.get<std::string>();
  }
  return env;
}

Result<services::DeployRequest> parse_deploy_request(std::string_view text) {
  auto body = JsonObjectReader::parse(text);
  if (!body) return fail(body.error());
  if (auto ok =
          body->reject_unknown({"image_id", "memory_mb", "cpus", "replicas", "env", "visibility"});
      !ok) {
    return fail(ok.error());
  }
  services::DeployRequest request;
  auto image = body->required_string("image_id");
  if (!image) return fail(image.error());
  request.image_id = *image;
  auto memory = body->optional_int("memory_mb");
  if (!memory) return fail(memory.error());
  request.memory_mb = *memory;
  auto cpus = optional_number(*body, "cpus");
  if (!cpus) return fail(cpus.error());
  request.cpus = *cpus;
  auto replicas = body->optional_int("replicas");
  if (!replicas) return fail(replicas.error());
  request.replicas = *replicas;
  auto env = optional_env(*body);
  if (!env) return fail(env.error());
  request.env = std::move(*env);
  auto visibility = body->optional_string("visibility");
  if (!visibility) return fail(visibility.error());
  if (const auto& name = *visibility) {
    request.visibility = store::parse_visibility(*name);
    if (!request.visibility) {
      return fail(Error::invalid_argument("visibility must be 'private' or 'public'"));
    }
  }
  return request;
}

Result<std::optional<std::int64_t>> query_int(const http::Request& req, std::string_view name,
                                              std::int64_t max) {
  const auto text = req.query_param(name);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 0 || value > max) {
    return fail(Error::invalid_argument(std::string(name) + " must be a whole number from 0 to " +
                                        std::to_string(max)));
  }
  return value;
}

Result<services::LogQuery> parse_log_query(const http::Request& req) {
  auto tail = query_int(req, "tail", kMaxTail);
  if (!tail) return fail(tail.error());
  auto since = query_int(req, "since", std::numeric_limits<std::int64_t>::max());
  if (!since) return fail(since.error());
  services::LogQuery query;
  if (const auto& lines = *tail) query.tail = static_cast<std::size_t>(*lines);
  query.since = *since;
  return query;
}

Result<std::optional<services::ProjectRef>> project_filter(const http::Request& req) {
  const auto value = req.query_param("project");
  if (!value) return std::nullopt;
  const auto slash = value->find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == value->size()) {
    return fail(Error::invalid_argument("project must be 'owner/name'"));
  }
  return services::ProjectRef{std::string(value->substr(0, slash)),
                              std::string(value->substr(slash + 1))};
}

http::Response follow_logs(services::Deployments& deployments, const http::Request& req,
                           const auth::Principal& who, services::LogQuery query) {
  // Checked before the stream starts so an unknown id is a plain 404.
  if (auto d = deployments.get(who, req.param("id")); !d) return http::error_response(d.error());
  query.follow = true;
  http::Response res = http::sse_response();
  res.stream = [&deployments, who, query,
                id = std::string(req.param("id"))](http::BodyWriter& out) {
    auto last_write = std::chrono::steady_clock::now();
    auto followed = deployments.follow_logs(who, id, query, [&](const runtime::LogLine* line) {
      if (out.closed()) return false;
      const auto now = std::chrono::steady_clock::now();
      if (line == nullptr) {
        if (now - last_write < kHeartbeat) return true;
        last_write = now;
        return out.write(http::sse_heartbeat());
      }
      last_write = now;
      return out.write(http::sse_event(line->text));
    });
    if (!out.closed()) {
      out.write(http::sse_event(followed ? "{}" : Json{{"error", followed.error().message}}.dump(),
                                {.event = "end"}));
    }
  };
  return res;
}

http::Response get_logs(services::Deployments& deployments, http::Request& req,
                        const auth::Principal& who) {
  auto query = parse_log_query(req);
  if (!query) return http::error_response(query.error());
  const auto accept = req.header("Accept").value_or("");
  if (accept.find("text/event-stream") != std::string_view::npos) {
    return follow_logs(deployments, req, who, *query);
  }
  auto lines = deployments.logs(who, req.param("id"), *query);
  if (!lines) return http::error_response(lines.error());
  std::string text;
  for (const auto& line : *lines) text += line.text + "\n";
  auto res = http::text_response(200, std::move(text));
  res.set_header("Cache-Control", "no-cache");
  return res;
}

}  // namespace

void register_deployment_routes(http::Router& router, ApiContext& ctx) {
  if (ctx.deployments == nullptr) return;
  services::Deployments& deployments = *ctx.deployments;
  const auto with_auth = [&ctx](AuthedHandler h) {
    return authenticated(ctx.credentials, std::move(h));
  };
  const std::string one = "/api/v1/deployments/{id}";
  const ServiceAddress* services = ctx.services;

  router.add("POST", "/api/v1/deployments",
             with_auth([&deployments, services](http::Request& req, const auth::Principal& who) {
               if (auto ok = require_json_content(req); !ok)
                 return http::error_response(ok.error());
               auto request = parse_deploy_request(req.body);
               if (!request) return http::error_response(request.error());
               return respond(deployments.create(who, *request, caller_of(req)), 202,
                              json_of(services));
             }),
             {.body_limit = kDeployBodyLimit});
  router.add("GET", "/api/v1/deployments",
             with_auth([&deployments, services](http::Request& req, const auth::Principal& who) {
               auto project = project_filter(req);
               if (!project) return http::error_response(project.error());
               return respond(deployments.list(who, *project), 200, json_of_list(services));
             }),
             {.query = {"project"}});
  router.add("GET", one,
             with_auth([&deployments, services](http::Request& req, const auth::Principal& who) {
               return respond(deployments.get(who, req.param("id")), 200, json_of(services));
             }));
  router.add("DELETE", one,
             with_auth([&deployments](http::Request& req, const auth::Principal& who) {
               return no_content_or_error(deployments.remove(who, req.param("id"), caller_of(req)));
             }));
  router.add("POST", one + "/stop",
             with_auth([&deployments, services](http::Request& req, const auth::Principal& who) {
               return respond(deployments.stop_deployment(who, req.param("id"), caller_of(req)),
                              200, json_of(services));
             }),
             {.body_limit = kDeployBodyLimit});
  router.add("POST", one + "/start",
             with_auth([&deployments, services](http::Request& req, const auth::Principal& who) {
               return respond(deployments.start_deployment(who, req.param("id"), caller_of(req)),
                              202, json_of(services));
             }),
             {.body_limit = kDeployBodyLimit});
  router.add("GET", one + "/logs",
             with_auth([&deployments](http::Request& req, const auth::Principal& who) {
               return get_logs(deployments, req, who);
             }),
             {.query = {"tail", "since"}});
  router.add("GET", one + "/metrics",
             with_auth([&deployments](http::Request& req, const auth::Principal& who) {
               const std::string id(req.param("id"));
               auto stats = deployments.metrics(who, id);
               if (!stats) return http::error_response(stats.error());
               return json_response(200, metrics_json(id, *stats));
             }));
}

}  // namespace orsa::api
