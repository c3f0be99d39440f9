// Routes for consumer keys and metered usage: a project's owner issues,
// lists and revokes the keys its customers call the service with, and reads
// what each key (and everyone else) used, as JSON or as CSV for billing.

#include <fmt/format.h>

#include "api/api.hpp"
#include "api_support.hpp"
#include "core/time.hpp"
#include "services/consumer_keys.hpp"

namespace orsa::api {
namespace {

constexpr std::size_t kKeyBodyLimit = 4 * 1024;

std::string key_status(const store::ConsumerKey& key, std::int64_t now) {
  if (key.revoked_at) return "revoked";
  if (key.expires_at && *key.expires_at <= now) return "expired";
  return "active";
}

Json optional_number(const std::optional<std::int64_t>& value) {
  return value ? Json(*value) : Json(nullptr);
}

Json key_json(const services::KeyView& view, std::int64_t now) {
  const store::ConsumerKey& k = view.key;
  return {{"id", k.id},
          {"name", k.name},
          {"prefix", k.prefix},
          {"status", key_status(k, now)},
          {"created_at", format_rfc3339(k.created_at)},
          {"expires_at", optional_time(k.expires_at)},
          {"revoked_at", optional_time(k.revoked_at)},
          {"rate_limit_per_min", optional_number(k.rate_limit_per_min)},
          {"monthly_quota_requests", optional_number(k.monthly_quota_requests)},
          {"monthly_quota_run_seconds", optional_number(k.monthly_quota_run_seconds)},
          {"month",
           {{"requests", view.month.requests},
            {"run_seconds", static_cast<double>(view.month.run_ms) / 1000.0}}}};
}

// {name, expires_at?, rate_limit_per_min?, monthly_quota_requests?, monthly_quota_run_seconds?}
Result<services::NewKeyRequest> parse_new_key(const http::Request& req) {
  auto body = parse_json_body(req);
  if (!body) return fail(body.error());
  if (auto ok = body->reject_unknown({"name", "expires_at", "rate_limit_per_min",
                                      "monthly_quota_requests", "monthly_quota_run_seconds"});
      !ok) {
    return fail(ok.error());
  }
  services::NewKeyRequest request;
  auto name = body->optional_string("name");
  if (!name) return fail(name.error());
  request.name = name->value_or("");
  auto expires = body->optional_string("expires_at");
  if (!expires) return fail(expires.error());
  if (const std::optional<std::string>& text = *expires; text.has_value()) {
    request.expires_at = parse_rfc3339(text.value());
    if (!request.expires_at) {
      return fail(Error::invalid_argument(
          "expires_at must be an RFC 3339 time (2027-01-31T00:00:00Z) or a date (2027-01-31)"));
    }
  }
  for (const auto& [field, target] :
       {std::pair{"rate_limit_per_min", &request.rate_limit_per_min},
        std::pair{"monthly_quota_requests", &request.monthly_quota_requests},
        std::pair{"monthly_quota_run_seconds", &request.monthly_quota_run_seconds}}) {
    auto value = body->optional_int(field);
    if (!value) return fail(value.error());
    *target = *value;
  }
  return request;
}

struct UsageQuery {
  std::int64_t from = 0;
  std::int64_t to = 0;
  services::UsageGrouping grouping;
  bool csv = false;
};

Result<std::int64_t> time_param(const http::Request& req, std::string_view name,
                                std::int64_t fallback) {
  const auto text = req.query_param(name);
  if (!text || text->empty()) return fallback;
  if (auto t = parse_rfc3339(*text)) return *t;
  return fail(Error::invalid_argument(fmt::format(
      "{} must be an RFC 3339 time (2026-12-01T00:00:00Z) or a date (2026-12-01)", name)));
}

// ?from=&to=&group_by=key|day|key,day&format=json|csv (or Accept: text/csv).
// By default: this month so far, per key.
Result<UsageQuery> parse_usage_query(const http::Request& req, std::int64_t now) {
  UsageQuery q;
  auto from = time_param(req, "from", services::month_start(now));
  if (!from) return fail(from.error());
  auto to = time_param(req, "to", now - now % 3600 + 3600);
  if (!to) return fail(to.error());
  q.from = *from;
  q.to = *to;
  const std::string_view group_by = req.query_param("group_by").value_or("key");
  if (group_by == "key" || group_by == "key,day" || group_by == "day,key") q.grouping.by_key = true;
  if (group_by == "day" || group_by == "key,day" || group_by == "day,key") q.grouping.by_day = true;
  if (!q.grouping.by_key && !q.grouping.by_day && group_by != "none") {
    return fail(Error::invalid_argument("group_by must be key, day, key,day or none"));
  }
  const std::string_view format = req.query_param("format").value_or("");
  if (!format.empty() && format != "json" && format != "csv") {
    return fail(Error::invalid_argument("format must be json or csv"));
  }
  const auto accept = req.header("Accept").value_or("");
  q.csv = format == "csv" || (format.empty() && accept.find("text/csv") != std::string_view::npos);
  return q;
}

Json counters_json(const store::UsageCounters& c) {
  return {{"requests", c.requests()},
          {"requests_by_class",
           {{"1xx", c.requests_1xx},
            {"2xx", c.requests_2xx},
            {"3xx", c.requests_3xx},
            {"4xx", c.requests_4xx},
            {"5xx", c.requests_5xx}}},
          {"refused", c.refused},
          {"bytes_in", c.bytes_in},
          {"bytes_out", c.bytes_out},
          {"runs", c.runs},
          {"run_seconds", static_cast<double>(c.run_wall_ms) / 1000.0},
          {"run_cpu_seconds", static_cast<double>(c.run_cpu_ms) / 1000.0}};
}

Json usage_json(const UsageQuery& q, const std::vector<services::UsageLine>& lines) {
  Json rows = Json::array();
  for (const auto& line : lines) {
    Json row = counters_json(line.counters);
    if (q.grouping.by_day) row["day"] = line.day;
    if (q.grouping.by_key) {
      row["key_id"] = line.key_id.empty() ? Json(nullptr) : Json(line.key_id);
      row["key_name"] = line.key_name.empty() ? Json(nullptr) : Json(line.key_name);
    }
    rows.push_back(std::move(row));
  }
  return {{"from", format_rfc3339(q.from)}, {"to", format_rfc3339(q.to)}, {"rows", rows}};
}

// RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

http::Response usage_csv(const std::vector<services::UsageLine>& lines) {
  std::string out =
      "day,key_id,key_name,requests,requests_2xx,requests_4xx,requests_5xx,refused,bytes_in,"
      "bytes_out,runs,run_seconds\r\n";
  for (const auto& line : lines) {
    const auto& c = line.counters;
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{:.3f}\r\n", line.day, line.key_id,
                       csv_field(line.key_name), c.requests(), c.requests_2xx, c.requests_4xx,
                       c.requests_5xx, c.refused, c.bytes_in, c.bytes_out, c.runs,
                       static_cast<double>(c.run_wall_ms) / 1000.0);
  }
  auto res = http::text_response(200, std::move(out), "text/csv; charset=utf-8");
  res.set_header("Content-Disposition", "attachment; filename=\"usage.csv\"");
  return res;
}

}  // namespace

void register_key_routes(http::Router& router, ApiContext& ctx) {
  if (ctx.consumer_keys == nullptr) return;
  services::ConsumerKeys& keys = *ctx.consumer_keys;
  const Clock& clock = keys.clock();
  const auto with_auth = [&ctx](AuthedHandler h) {
    return authenticated(ctx.credentials, std::move(h));
  };
  const std::string base = "/api/v1/projects/{owner}/{name}/keys";

  router.add("POST", base,
             with_auth([&keys, &clock](http::Request& req, const auth::Principal& who) {
               auto request = parse_new_key(req);
               if (!request) return http::error_response(request.error());
               auto issued = keys.create(who, project_ref_of(req), *request, caller_of(req));
               if (!issued) return http::error_response(issued.error());
               Json body = key_json(issued->view, clock.now_unix());
               body["secret"] = issued->secret;  // shown this once
               auto res = json_response(201, body);
               res.set_header("Cache-Control", "no-store");
               return res;
             }),
             {.body_limit = kKeyBodyLimit});
  router.add("GET", base,
             with_auth([&keys, &clock](http::Request& req, const auth::Principal& who) {
               return respond(keys.list(who, project_ref_of(req)), 200,
                              [now = clock.now_unix()](const std::vector<services::KeyView>& all) {
                                Json list = Json::array();
                                for (const auto& view : all) list.push_back(key_json(view, now));
                                return Json{{"keys", list}};
                              });
             }));
  router.add(
      "DELETE", base + "/{id}",
      with_auth([&keys, &clock](http::Request& req, const auth::Principal& who) {
        return respond(
            keys.revoke(who, project_ref_of(req), req.param("id"), caller_of(req)), 200,
            [now = clock.now_unix()](const services::KeyView& v) { return key_json(v, now); });
      }));
  router.add("GET", "/api/v1/projects/{owner}/{name}/usage",
             with_auth([&keys, &clock](http::Request& req, const auth::Principal& who) {
               auto query = parse_usage_query(req, clock.now_unix());
               if (!query) return http::error_response(query.error());
               auto lines =
                   keys.usage(who, project_ref_of(req), query->from, query->to, query->grouping);
               if (!lines) return http::error_response(lines.error());
               if (query->csv) return usage_csv(*lines);
               return json_response(200, usage_json(*query, *lines));
             }),
             {.query = {"from", "to", "group_by", "format"}});
}

}  // namespace orsa::api
