// Health, readiness, metrics, the API description and the audit log; and
// the one function that registers every route.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/api.hpp"
#include "api_support.hpp"
#include "core/time.hpp"
#include "core/work_queue.hpp"
#include "orsa_docs_embedded.hpp"

namespace orsa::api {

void register_account_routes(http::Router& router, ApiContext& ctx);
void register_project_routes(http::Router& router, ApiContext& ctx);
void register_build_routes(http::Router& router, ApiContext& ctx);
void register_deployment_routes(http::Router& router, ApiContext& ctx);
void register_admin_routes(http::Router& router, ApiContext& ctx);
void register_run_routes(http::Router& router, ApiContext& ctx);
void register_key_routes(http::Router& router, ApiContext& ctx);
void register_federated_routes(http::Router& router, ApiContext& ctx);

namespace {

Json audit_json(const std::vector<store::AuditEvent>& events) {
  Json list = Json::array();
  for (const auto& e : events) {
    list.push_back({{"id", e.id},
                    {"at", format_rfc3339(e.at)},
                    {"actor_id", e.actor_id ? Json(*e.actor_id) : Json(nullptr)},
                    {"actor", e.actor_username ? Json(*e.actor_username) : Json(nullptr)},
                    {"action", e.action},
                    {"target", e.target},
                    {"ip", e.ip},
                    {"detail", e.detail}});
  }
  return {{"events", list}};
}

/// Exceptions the background workers caught and survived, by worker: a
/// rising counter is a bug that did not take the control plane down.
std::string background_failures_metrics() {
  std::string out =
      "# HELP orsa_background_failures_total Exceptions caught at background worker thread "
      "entries, by worker.\n"
      "# TYPE orsa_background_failures_total counter\n";
  for (const auto& [worker, count] : orsa::background_failures())
    out +=
        "orsa_background_failures_total{worker=\"" + worker + "\"} " + std::to_string(count) + "\n";
  return out;
}

/// Each consumer key's traffic and runs since start (at most
/// kMaxConsumerSeries keys, the rest as consumer="other").
std::string consumer_metrics(services::UsageMeter& meter) {
  const auto totals = meter.consumer_totals();
  std::string requests =
      "# HELP orsa_consumer_requests_total Calls through the gateway with a consumer key, by "
      "status class.\n# TYPE orsa_consumer_requests_total counter\n";
  std::string refused =
      "# HELP orsa_consumer_refused_total Calls with a consumer key the gate turned away (rate, "
      "quota, revoked).\n# TYPE orsa_consumer_refused_total counter\n";
  std::string bytes =
      "# HELP orsa_consumer_bytes_total Body bytes of calls with a consumer key.\n"
      "# TYPE orsa_consumer_bytes_total counter\n";
  std::string runs =
      "# HELP orsa_consumer_run_seconds_total Wall time of ended runs submitted with a consumer "
      "key.\n# TYPE orsa_consumer_run_seconds_total counter\n";
  for (const auto& t : totals) {
    const std::string labels =
        fmt::format(R"(consumer="{}",project="{}")", t.consumer_key_id, t.project_id);
    const auto& c = t.counters;
    for (const auto& [name, count] :
         {std::pair{"1xx", c.requests_1xx}, std::pair{"2xx", c.requests_2xx},
          std::pair{"3xx", c.requests_3xx}, std::pair{"4xx", c.requests_4xx},
          std::pair{"5xx", c.requests_5xx}}) {
      requests +=
          fmt::format("orsa_consumer_requests_total{{{},class=\"{}\"}} {}\n", labels, name, count);
    }
    refused += fmt::format("orsa_consumer_refused_total{{{}}} {}\n", labels, c.refused);
    bytes +=
        fmt::format("orsa_consumer_bytes_total{{{},direction=\"in\"}} {}\n", labels, c.bytes_in);
    bytes +=
        fmt::format("orsa_consumer_bytes_total{{{},direction=\"out\"}} {}\n", labels, c.bytes_out);
    runs += fmt::format("orsa_consumer_run_seconds_total{{{}}} {:.3f}\n", labels,
                        static_cast<double>(c.run_wall_ms) / 1000.0);
  }
  return requests + refused + bytes + runs;
}

std::string leader_metrics(const std::string& instance_id, bool leading) {
  return fmt::format(
      "# HELP orsa_leader Whether this instance holds the leader lease (the reconciler's "
      "container changes, the periodic collector).\n# TYPE orsa_leader gauge\n"
      "orsa_leader{{instance=\"{}\"}} {}\n",
      instance_id, leading ? 1 : 0);
}

void register_system_routes(http::Router& router, ApiContext& ctx) {
  // Public by design: liveness, readiness and metrics carry no user data and
  // are what load balancers and Prometheus scrape without credentials.
  // Liveness answers on the network thread: load balancers ask it often and
  // it touches nothing that could block.
  router.add("GET", "/healthz",
             [](http::Request&) {
               return json_response(200, {{"status", "ok"}});
             },
             {.lane = http::Lane::kInline});
  router.add("GET", "/readyz", [&ctx](http::Request&) {
    if (auto ok = ctx.system.ping(); !ok) {
      spdlog::warn("readiness: database ping failed: {}", ok.error().message);
      return json_response(503, {{"status", "unavailable"}, {"database", "down"}});
    }
    return json_response(200, {{"status", "ready"}, {"database", "up"}});
  });
  // Every tenant's traffic is on it: admins only (Prometheus scrapes with an
  // admin's API token).
  router.add("GET", "/metrics",
             authenticated(ctx.credentials, [&ctx](http::Request&, const auth::Principal& who) {
               if (auto ok = auth::Policy::require_admin(who); !ok) {
                 return http::error_response(ok.error());
               }
               std::string text = ctx.metrics.render();
               if (ctx.routes != nullptr) text += ctx.routes->render_metrics();
               text += background_failures_metrics();
               if (ctx.meter != nullptr) text += consumer_metrics(*ctx.meter);
               if (ctx.leading) text += leader_metrics(ctx.instance_id, ctx.leading());
               return http::text_response(200, std::move(text), "text/plain; version=0.0.4");
             }));
  router.add("GET", "/api/openapi.yaml", [](http::Request&) {
    return http::text_response(200, std::string(openapi_document()), "application/yaml");
  });
  router.add("GET", "/api/v1/admin/audit",
             authenticated(ctx.credentials,
                           [&ctx](http::Request& req, const auth::Principal& who) {
                             if (auto ok = auth::Policy::require_admin(who); !ok)
                               return http::error_response(ok.error());
                             auto limit = parse_limit(req, 100);
                             if (!limit) return http::error_response(limit.error());
                             return respond(ctx.system.audit_log(*limit), 200, audit_json);
                           }),
             {.query = {"limit"}});
}

}  // namespace

std::string_view openapi_document() {
  for (const auto& file : orsa_docs::embedded_files()) {
    if (file.path == "openapi.yaml") return file.bytes;
  }
  return {};
}

void register_routes(http::Router& router, ApiContext& ctx) {
  register_system_routes(router, ctx);
  register_account_routes(router, ctx);
  register_project_routes(router, ctx);
  register_build_routes(router, ctx);
  register_admin_routes(router, ctx);
  register_deployment_routes(router, ctx);
  register_run_routes(router, ctx);
  register_key_routes(router, ctx);
  register_federated_routes(router, ctx);
}

}  // namespace orsa::api
