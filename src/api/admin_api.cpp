// Admin routes: running the collector on demand, per-project network egress,
// storage usage.

#include "api/api.hpp"
#include "api_support.hpp"
#include "views.hpp"

namespace orsa::api {
namespace {

constexpr std::size_t kGcBodyLimit = 1024;

Json report_json(const services::GcReport& r) {
  Json images = Json::array();
  for (const auto& i : r.images) {
    images.push_back({{"id", i.id},
                      {"repository", i.repository},
                      {"tag", i.tag},
                      {"digest", i.digest},
                      {"size", i.size}});
  }
  Json idle = Json::array();
  for (const auto& d : r.idle_stopped) {
    idle.push_back({{"deployment_id", d.deployment_id}, {"project", d.project}});
  }
  Json paused = Json::array();
  for (const auto& d : r.paused) {
    paused.push_back(
        {{"deployment_id", d.deployment_id},
         {"project", d.project},
         {"memory_bytes", d.memory_bytes >= 0 ? Json(d.memory_bytes) : Json(nullptr)}});
  }
  return {{"dry_run", r.dry_run},
          {"images", images},
          {"blobs", {{"count", r.blob_count}, {"bytes", r.blob_bytes}}},
          {"idle_stopped", idle},
          {"paused", paused},
          {"bytes_freed", r.bytes_freed},
          {"errors", r.errors}};
}

Result<std::optional<bool>> dry_run_in_query(const http::Request& req) {
  const auto text = req.query_param("dry_run");
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "1" || text->empty()) return true;
  if (*text == "false" || *text == "0") return false;
  return fail(Error::invalid_argument("dry_run must be true or false"));
}

// `dry_run` may come in the body or, where people naturally put it, in the
// query; both must agree. Absent, it is false, like the periodic run.
Result<bool> parse_dry_run(const http::Request& req) {
  auto in_query = dry_run_in_query(req);
  if (!in_query) return fail(in_query.error());
  std::optional<bool> in_body;
  if (!req.body.empty()) {
    auto body = parse_json_body(req);
    if (!body) return fail(body.error());
    if (auto ok = body->reject_unknown({"dry_run"}); !ok) return fail(ok.error());
    auto dry_run = body->optional_bool("dry_run");
    if (!dry_run) return fail(dry_run.error());
    in_body = *dry_run;
  }
  const std::optional<bool> query = *in_query;
  if (query && in_body && *query != *in_body) {
    return fail(Error::invalid_argument("dry_run differs between the query and the body"));
  }
  return in_body.value_or(query.value_or(false));
}

http::Response run_gc(services::Collection* collector, http::Request& req,
                      const auth::Principal& who) {
  if (auto ok = auth::Policy::require_admin(who); !ok) return http::error_response(ok.error());
  auto dry_run = parse_dry_run(req);
  if (!dry_run) return http::error_response(dry_run.error());
  if (collector == nullptr) {
    return http::error_response(Error::unavailable("the collector is not configured"));
  }
  return respond(collector->run(*dry_run, who.user_id, caller_of(req).ip), 200, report_json);
}

// PATCH body {"allow_egress": bool}.
http::Response set_egress(services::Projects& projects, http::Request& req,
                          const auth::Principal& who) {
  auto body = parse_json_body(req);
  if (!body) return http::error_response(body.error());
  if (auto ok = body->reject_unknown({"allow_egress"}); !ok)
    return http::error_response(ok.error());
  auto allowed = body->optional_bool("allow_egress");
  if (!allowed) return http::error_response(allowed.error());
  const std::optional<bool>& allow = *allowed;
  if (!allow) return http::error_response(Error::invalid_argument("allow_egress is required"));
  return respond(projects.set_egress(who, project_ref_of(req), *allow, caller_of(req)), 200,
                 [](const store::Project& p) { return to_json(p); });
}

// Every owner namespace of the registry with its usage and quota.
http::Response usage_report(const oci::Registry& registry, const auth::Principal& who) {
  if (auto ok = auth::Policy::require_admin(who); !ok) return http::error_response(ok.error());
  Json owners = Json::array();
  for (const auto& owner : registry.store().list_namespaces()) {
    Json entry = registry_usage_json(registry, owner);
    entry["owner"] = owner;
    owners.push_back(std::move(entry));
  }
  return json_response(200, {{"namespaces", owners}});
}

}  // namespace

void register_admin_routes(http::Router& router, ApiContext& ctx) {
  router.add("POST", "/api/v1/admin/gc",
             authenticated(ctx.credentials,
                           [&ctx](http::Request& req, const auth::Principal& who) {
                             return run_gc(ctx.collector, req, who);
                           }),
             {.body_limit = kGcBodyLimit, .query = {"dry_run"}});
  router.add("PATCH", "/api/v1/admin/projects/{owner}/{name}",
             authenticated(ctx.credentials,
                           [&ctx](http::Request& req, const auth::Principal& who) {
                             return set_egress(ctx.projects, req, who);
                           }),
             {.body_limit = kGcBodyLimit});
  router.add("GET", "/api/v1/admin/usage",
             authenticated(ctx.credentials, [&ctx](http::Request&, const auth::Principal& who) {
               return usage_report(ctx.registry, who);
             }));
}

}  // namespace orsa::api
