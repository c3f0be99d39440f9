// Routes for builds (queue, status, logs with live following) and images.

#include "api/api.hpp"
#include "api_support.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"
#include "log_stream.hpp"
#include "services/builds.hpp"
#include "views.hpp"

namespace orsa::api {
namespace {

constexpr std::size_t kBuildBodyLimit = 4 * 1024;
constexpr std::size_t kDefaultBuildList = 50;
// Comments keep proxies and browsers from timing an idle stream out.

Json build_json(const store::Build& b) {
  Json out = {{"id", b.id},
              {"project", b.owner_username + "/" + b.project_name},
              {"owner", b.owner_username},
              {"name", b.project_name},
              {"number", b.number},
              {"commit", b.commit_sha},
              {"status", store::build_status_name(b.status)},
              {"error", b.error.empty() ? Json(nullptr) : Json(b.error)},
              {"created_at", format_rfc3339(b.created_at)},
              {"started_at", optional_time(b.started_at)},
              {"finished_at", optional_time(b.finished_at)},
              {"duration_s", nullptr},
              {"image_id", b.image_id ? Json(*b.image_id) : Json(nullptr)}};
  if (b.started_at && b.finished_at) out["duration_s"] = *b.finished_at - *b.started_at;
  return out;
}

Json builds_json(const std::vector<store::Build>& builds) {
  Json list = Json::array();
  for (const auto& b : builds) list.push_back(build_json(b));
  return {{"builds", list}};
}

void write_json(JsonWriter& out, const store::Image& i) {
  out.begin_object()
      .key("id")
      .value(i.id)
      .key("project_id")
      .value(i.project_id)
      .key("build_id")
      .value(i.build_id)
      .key("repository")
      .value(i.repository)
      .key("tag")
      .value(i.tag)
      .key("reference")
      .value(i.repository + ":" + i.tag)
      .key("digest")
      .value(i.digest)
      .key("size")
      .value(i.size)
      .key("commit")
      .value(i.commit_sha)
      .key("created_at")
      .value(format_rfc3339(i.created_at))
      .key("deployments")
      .value(i.deployments)
      .key("deployed")
      .value(i.running_deployments > 0)
      .end_object();
}

http::Response image_response(const Result<store::Image>& image) {
  if (!image) return http::error_response(image.error());
  JsonWriter out;
  write_json(out, *image);
  return http::json_text_response(200, out.take());
}

http::Response list_images(services::Images& images, const http::Request& req,
                           const auth::Principal& who,
                           const std::optional<services::ProjectRef>& project) {
  auto page = parse_page(req);
  if (!page) return http::error_response(page.error());
  return page_response(images.list(who, project, *page), "images",
                       [](JsonWriter& out, const store::Image& image) { write_json(out, image); });
}

http::Response create_build(services::Builds& builds, http::Request& req,
                            const auth::Principal& who) {
  std::string git_ref;
  if (!req.body.empty()) {
    auto body = parse_json_body(req);
    if (!body) return http::error_response(body.error());
    if (auto ok = body->reject_unknown({"ref"}); !ok) return http::error_response(ok.error());
    auto ref = body->optional_string("ref");
    if (!ref) return http::error_response(ref.error());
    git_ref = ref->value_or("");
  }
  return respond(builds.create(who, project_ref_of(req), git_ref, caller_of(req)), 202, build_json);
}

// Streams the log: history, live lines, then `event: end` with the build.
http::Response follow_logs(services::Builds& builds, const http::Request& req,
                           const auth::Principal& who) {
  auto follower = builds.follow(who, req.param("id"));
  if (!follower) return http::error_response(follower.error());
  return stream_followed_log(std::move(*follower),
                             [&builds, who, id = std::string(req.param("id"))] {
                               auto build = builds.get(who, id);
                               return build ? build_json(*build) : Json{{"id", id}};
                             });
}

http::Response get_logs(services::Builds& builds, http::Request& req, const auth::Principal& who) {
  const auto accept = req.header("Accept").value_or("");
  if (accept.find("text/event-stream") != std::string_view::npos) {
    return follow_logs(builds, req, who);
  }
  auto text = builds.log(who, req.param("id"));
  if (!text) return http::error_response(text.error());
  auto res = http::text_response(200, std::move(*text));
  res.set_header("Cache-Control", "no-cache");
  return res;
}

}  // namespace

void register_build_routes(http::Router& router, ApiContext& ctx) {
  services::Builds& builds = ctx.builds;
  services::Images& images = ctx.images;
  const auto with_auth = [&ctx](AuthedHandler h) {
    return authenticated(ctx.credentials, std::move(h));
  };
  const std::string project = "/api/v1/projects/{owner}/{name}";

  router.add("POST", project + "/builds",
             with_auth([&builds](http::Request& req, const auth::Principal& who) {
               return create_build(builds, req, who);
             }),
             {.body_limit = kBuildBodyLimit});
  router.add("GET", project + "/builds",
             with_auth([&builds](http::Request& req, const auth::Principal& who) {
               auto limit = parse_limit(req, kDefaultBuildList);
               if (!limit) return http::error_response(limit.error());
               return respond(builds.list(who, project_ref_of(req), *limit), 200, builds_json);
             }),
             {.query = {"limit"}});
  router.add("GET", "/api/v1/builds/{id}",
             with_auth([&builds](http::Request& req, const auth::Principal& who) {
               return respond(builds.get(who, req.param("id")), 200, build_json);
             }));
  router.add("GET", "/api/v1/builds/{id}/logs",
             with_auth([&builds](http::Request& req, const auth::Principal& who) {
               return get_logs(builds, req, who);
             }));
  router.add("POST", "/api/v1/builds/{id}/cancel",
             with_auth([&builds](http::Request& req, const auth::Principal& who) {
               return respond(builds.cancel(who, req.param("id"), caller_of(req)), 202, build_json);
             }),
             {.body_limit = kBuildBodyLimit});

  router.add("GET", "/api/v1/images",
             with_auth([&images](http::Request& req, const auth::Principal& who) {
               return list_images(images, req, who, std::nullopt);
             }),
             {.query = {"cursor", "limit"}});
  router.add("GET", project + "/images",
             with_auth([&images](http::Request& req, const auth::Principal& who) {
               return list_images(images, req, who, project_ref_of(req));
             }),
             {.query = {"cursor", "limit"}});
  router.add("GET", "/api/v1/images/{id}",
             with_auth([&images](http::Request& req, const auth::Principal& who) {
               return image_response(images.get(who, req.param("id")));
             }));
  router.add("DELETE", "/api/v1/images/{id}",
             with_auth([&images](http::Request& req, const auth::Principal& who) {
               return no_content_or_error(images.remove(who, req.param("id")));
             }));
}

}  // namespace orsa::api
