// Routes for runs: submit, read (with the trace), input and result bytes,
// cancel, the project's history and the caller's own runs.

#include <algorithm>

#include "api/api.hpp"
#include "api_support.hpp"
#include "consumer_auth.hpp"
#include "core/time.hpp"
#include "log_stream.hpp"
#include "services/runs.hpp"

namespace orsa::api {
namespace {

constexpr std::size_t kCancelBodyLimit = 4 * 1024;
// The request's fields besides the input: options, limits, image.
constexpr std::size_t kSubmitOverhead = 128 * 1024;

// Stored JSON text as a value (the service wrote it, so it parses).
Json stored_json(const std::string& text) {
  Json parsed = Json::parse(text, nullptr, false);
  return parsed.is_discarded() ? Json::object() : parsed;
}

Json blob_json(const std::optional<std::string>& digest, const std::optional<std::int64_t>& size) {
  if (!digest) return nullptr;
  return {{"digest", *digest}, {"size", size.value_or(0)}};
}

Json run_json(const store::Run& r, std::optional<std::size_t> queue_position = std::nullopt) {
  Json out = {{"id", r.id},
              {"project", r.owner_username + "/" + r.project_name},
              {"owner", r.owner_username},
              {"name", r.project_name},
              {"submitter", r.submitter_username},
              {"consumer_key", r.consumer_key_id ? Json(*r.consumer_key_id) : Json(nullptr)},
              {"status", store::run_status_name(r.status)},
              {"priority", r.priority},
              {"queue_position", queue_position ? Json(*queue_position) : Json(nullptr)},
              {"created_at", format_rfc3339(r.created_at)},
              {"started_at", optional_time(r.started_at)},
              {"finished_at", optional_time(r.finished_at)},
              {"duration_s", nullptr},
              {"exit_code", r.exit_code ? Json(*r.exit_code) : Json(nullptr)},
              {"reason", r.reason.empty() ? Json(nullptr) : Json(r.reason)},
              {"cancel_requested", r.cancel_requested},
              {"options", stored_json(r.options_json)},
              {"limits",
               {{"time_limit_s", r.time_limit_s},
                {"memory_mb", r.memory_mb},
                {"cpus", static_cast<double>(r.cpu_millis) / 1000.0}}},
              {"input", blob_json(r.input_digest, r.input_size)},
              {"result", blob_json(r.result_digest, r.result_size)},
              {"log", blob_json(r.log_digest, r.log_size)},
              {"statistics", stored_json(r.statistics_json)},
              {"trace",
               {{"project_id", r.project_id},
                {"commit", r.commit_sha},
                {"build_id", r.build_id},
                {"image_id", r.image_id},
                {"image_digest", r.image_digest},
                {"deployment_id", r.deployment_id ? Json(*r.deployment_id) : Json(nullptr)}}}};
  if (r.started_at && r.finished_at) out["duration_s"] = *r.finished_at - *r.started_at;
  return out;
}

Json page_json(const services::RunPage& page) {
  Json list = Json::array();
  for (const auto& r : page.runs) list.push_back(run_json(r));
  return {{"runs", list},
          {"next_cursor", page.next_cursor ? Json(*page.next_cursor) : Json(nullptr)}};
}

Result<std::optional<double>> optional_number(const JsonObjectReader& body, std::string_view key) {
  const Json* value = body.find(key);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_number()) {
    return fail(Error::invalid_argument(std::string(key) + " must be a number"));
  }
  return value->get<double>();
}

// {input, options?, time_limit_s?, image_id?, priority?, memory_mb?, cpus?}:
// the input is any JSON value, stored in its compact form.
Result<services::RunRequest> parse_run_request(const http::Request& req) {
  auto body = parse_json_body(req);
  if (!body) return fail(body.error());
  if (auto ok = body->reject_unknown({"input", "input_file", "options", "time_limit_s", "image_id",
                                      "priority", "memory_mb", "cpus"});
      !ok) {
    return fail(ok.error());
  }
  services::RunRequest request;
  const Json* input = body->find("input");
  auto input_file = body->optional_string("input_file");
  if (!input_file) return fail(input_file.error());
  if ((input == nullptr) == !input_file->has_value()) {
    return fail(Error::invalid_argument(
        "give either input (the JSON itself) or input_file (a file of the project)"));
  }
  if (input != nullptr) request.input = input->dump();
  request.input_file = *input_file;
  if (const Json* options = body->find("options"); options != nullptr && !options->is_null()) {
    if (!options->is_object()) return fail(Error::invalid_argument("options must be an object"));
    request.options_json = options->dump();
  }
  auto image = body->optional_string("image_id");
  if (!image) return fail(image.error());
  request.image_id = *image;
  for (const auto& [key, field] :
       {std::pair{"time_limit_s", &request.time_limit_s}, std::pair{"priority", &request.priority},
        std::pair{"memory_mb", &request.memory_mb}}) {
    auto value = body->optional_int(key);
    if (!value) return fail(value.error());
    *field = *value;
  }
  auto cpus = optional_number(*body, "cpus");
  if (!cpus) return fail(cpus.error());
  request.cpus = *cpus;
  return request;
}

// ?status=&cursor=&limit=
Result<services::RunFilter> parse_filter(const http::Request& req) {
  services::RunFilter filter;
  if (auto status = req.query_param("status"); status && !status->empty()) {
    filter.status = store::parse_run_status(*status);
    if (!filter.status) {
      return fail(Error::invalid_argument(
          "status must be one of queued, running, succeeded, failed, invalid_input, timed_out, "
          "canceled"));
    }
  }
  if (auto cursor = req.query_param("cursor"); cursor && !cursor->empty()) {
    filter.cursor = std::string(*cursor);
  }
  if (req.query_param("limit")) {
    auto limit = parse_limit(req, 0);
    if (!limit) return fail(limit.error());
    filter.limit = *limit;
  }
  return filter;
}

// The stored bytes, streamed from the mapped file.
http::Response blob_response(const Result<services::RunBlob>& blob) {
  if (!blob) return http::error_response(blob.error());
  http::Response res = file_response(blob->path, "application/json");
  if (res.status != 200) return res;
  res.set_header("Cache-Control", "private, max-age=31536000, immutable");  // content-addressed
  res.set_header("ETag", "\"" + blob->digest + "\"");
  return res;
}

// Streams the solver log: what was printed so far, live lines, then
// `event: end` with the run.
http::Response follow_log(services::Runs& runs, const http::Request& req,
                          const auth::Principal& who) {
  auto follower = runs.follow_log(who, req.param("id"));
  if (!follower) return http::error_response(follower.error());
  return stream_followed_log(std::move(*follower), [&runs, who, id = std::string(req.param("id"))] {
    auto run = runs.get(who, id);
    return run ? run_json(run->run) : Json{{"id", id}};
  });
}

http::Response get_log(services::Runs& runs, const http::Request& req, const auth::Principal& who) {
  const auto accept = req.header("Accept").value_or("");
  if (accept.find("text/event-stream") != std::string_view::npos) {
    return follow_log(runs, req, who);
  }
  auto text = runs.log(who, req.param("id"));
  if (!text) return http::error_response(text.error());
  auto res = http::text_response(200, std::move(*text));
  res.set_header("Cache-Control", "no-cache");
  return res;
}

}  // namespace

void register_run_routes(http::Router& router, ApiContext& ctx) {
  if (ctx.runs == nullptr) return;
  services::Runs& runs = *ctx.runs;
  // The owner's credentials, or a consumer key of the project.
  const auto with_auth = [&ctx](AuthedHandler h) {
    return authenticated_or_consumer(ctx, ConsumerUse::kRead, std::move(h));
  };
  const std::string project = "/api/v1/projects/{owner}/{name}/runs";
  const std::string one = "/api/v1/runs/{id}";
  const auto submit_limit = static_cast<std::size_t>(runs.max_input_bytes()) + kSubmitOverhead;

  const auto submitting = [&runs](http::Request& req, const auth::Principal& who) {
    auto request = parse_run_request(req);
    if (!request) return http::error_response(request.error());
    return respond(runs.submit(who, project_ref_of(req), *request), 202,
                   [](const store::Run& r) { return run_json(r); });
  };
  router.add("POST", project, authenticated_or_consumer(ctx, ConsumerUse::kSubmit, submitting),
             {.body_limit = submit_limit});
  router.add("GET", project, with_auth([&runs](http::Request& req, const auth::Principal& who) {
               auto filter = parse_filter(req);
               if (!filter) return http::error_response(filter.error());
               return respond(runs.list_project(who, project_ref_of(req), *filter), 200, page_json);
             }),
             {.query = {"status", "cursor", "limit"}});
  router.add("GET", "/api/v1/runs",
             with_auth([&runs](http::Request& req, const auth::Principal& who) {
               auto filter = parse_filter(req);
               if (!filter) return http::error_response(filter.error());
               return respond(runs.list_mine(who, *filter), 200, page_json);
             }),
             {.query = {"status", "cursor", "limit"}});
  router.add("GET", one, with_auth([&runs](http::Request& req, const auth::Principal& who) {
               return respond(runs.get(who, req.param("id")), 200, [](const services::RunView& v) {
                 return run_json(v.run, v.queue_position);
               });
             }));
  router.add("GET", one + "/input",
             with_auth([&runs](http::Request& req, const auth::Principal& who) {
               return blob_response(runs.input(who, req.param("id")));
             }));
  router.add("GET", one + "/result",
             with_auth([&runs](http::Request& req, const auth::Principal& who) {
               return blob_response(runs.result(who, req.param("id")));
             }));
  router.add("GET", one + "/log",
             with_auth([&runs](http::Request& req, const auth::Principal& who) {
               return get_log(runs, req, who);
             }));
  router.add("POST", one + "/cancel",
             with_auth([&runs](http::Request& req, const auth::Principal& who) {
               return respond(runs.cancel(who, req.param("id")), 202,
                              [](const store::Run& r) { return run_json(r); });
             }),
             {.body_limit = kCancelBodyLimit});
}

}  // namespace orsa::api
