#include "api/static_site.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <utility>

#include "core/files.hpp"
#include "oci/digest.hpp"

namespace orsa::api {
namespace {

namespace fs = std::filesystem;

// Files beyond this are not served at all: a built SPA has nothing near it.
constexpr std::uintmax_t kMaxServedFileBytes = 64 * 1024 * 1024;
constexpr std::size_t kEtagHexDigits = 32;
constexpr std::size_t kMissBodyLimit = 1024 * 1024;

// Paths the catch-all must not turn into the app: their owners answer JSON.
constexpr std::array<std::string_view, 6> kReservedPrefixes = {"/api",     "/v2",     "/s",
                                                               "/healthz", "/readyz", "/metrics"};
constexpr std::array<std::string_view, 5> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};

constexpr std::string_view kSecurityHeaders[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "same-origin"},
};
// CodeMirror sets inline styles; Bootstrap's CSS uses data: SVG images.
// Scripts come from the app's own origin only: services never share it.
// Only connect-src names the services (Try it calls them; they grant CORS).
constexpr std::string_view kCspBeforeConnect =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'";
constexpr std::string_view kCspAfterConnect =
    "; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

constexpr std::string_view kNotBuiltPage = R"(<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>ORSA: web app not built</title></head>
<body>
<h1>The ORSA web app is not built</h1>
<p>The API is up (see <a href="/api/openapi.yaml">/api/openapi.yaml</a>), but this
server found no <code>index.html</code> in its web directory.</p>
<p>Build it with <code>make run</code> (or only the app with <code>make web</code>), or
point <code>--web-dir</code> / <code>ORSA_WEB_DIR</code> at a built <code>dist</code>
directory, then restart orsa-deployer.</p>
</body>
</html>
)";

std::string content_type_of(const fs::path& file) {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  const auto it = kTypes.find(file.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

std::string etag_of(std::string_view bytes) {
  return "\"" + std::string(oci::Digest::of(bytes).hex().substr(0, kEtagHexDigits)) + "\"";
}

bool is_hidden(const fs::path& relative) {
  for (const auto& part : relative) {
    if (part.string().starts_with('.')) return true;
  }
  return false;
}

bool has_hidden_segment(std::string_view url_path) {
  for (std::size_t pos = 0; pos < url_path.size();) {
    const auto end = std::min(url_path.find('/', pos), url_path.size());
    if (url_path.substr(pos, end - pos).starts_with('.')) return true;
    pos = end + 1;
  }
  return false;
}

bool is_reserved(std::string_view path) {
  for (const auto prefix : kReservedPrefixes) {
    if (path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/')) {
      return true;
    }
  }
  return false;
}

// The regular file `entry` names, if it stays inside `root` (both canonical).
std::optional<fs::path> servable_file(const fs::directory_entry& entry, const fs::path& root) {
  std::error_code ec;
  auto target = fs::canonical(entry.path(), ec);
  if (ec || !fs::is_regular_file(target, ec)) return std::nullopt;
  const auto inside = target.lexically_relative(root);
  if (inside.empty() || *inside.begin() == "..") {
    spdlog::warn("web dir: skipping {}, which leads outside the directory", entry.path().string());
    return std::nullopt;
  }
  const auto size = fs::file_size(target, ec);
  if (ec || size > kMaxServedFileBytes) return std::nullopt;
  return target;
}

// Every regular, non-hidden file under `root`, by URL path.
std::map<std::string, fs::path, std::less<>> list_files(const fs::path& root) {
  std::map<std::string, fs::path, std::less<>> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const auto relative = it->path().lexically_relative(root);
    if (is_hidden(relative)) {
      it.disable_recursion_pending();
      continue;
    }
    if (auto file = servable_file(*it, root)) out["/" + relative.generic_string()] = *file;
  }
  if (ec) spdlog::warn("web dir: listing {} stopped: {}", root.string(), ec.message());
  return out;
}

bool etag_matches(std::optional<std::string_view> if_none_match, std::string_view etag) {
  if (!if_none_match) return false;
  std::string_view rest = *if_none_match;
  while (!rest.empty()) {
    const auto comma = std::min(rest.find(','), rest.size());
    std::string_view tag = rest.substr(0, comma);
    rest.remove_prefix(std::min(comma + 1, rest.size()));
    while (tag.starts_with(' ')) tag.remove_prefix(1);
    while (tag.ends_with(' ')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);  // If-None-Match compares weakly
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

void add_security_headers(http::Response& res, std::string_view service_origins) {
  for (const auto& [name, value] : kSecurityHeaders) res.set_header(name, std::string(value));
  std::string csp(kCspBeforeConnect);
  if (!service_origins.empty()) csp.append(" ").append(service_origins);
  csp += kCspAfterConnect;
  res.set_header("Content-Security-Policy", std::move(csp));
}

http::Response not_built_page() {
  auto res = http::text_response(200, std::string(kNotBuiltPage), "text/html; charset=utf-8");
  res.set_header("Cache-Control", "no-store");
  add_security_headers(res, "");
  return res;
}

http::Response route_not_found() {
  return http::error_response(Error::not_found("no route for path"));
}

// What the router answers when only the catch-all matched: 405 naming the
// methods other routes serve at this path, else the JSON 404.
http::Response route_miss(const http::Router& router, std::string_view path) {
  std::string allow;
  bool has_get = false;
  for (const auto method : kMethods) {
    const auto match = router.match(method, path);
    if (match.handler == nullptr || match.pattern == kStaticSiteCatchAll) continue;
    allow += (allow.empty() ? "" : ", ") + std::string(method);
    has_get = has_get || method == "GET";
  }
  if (allow.empty()) return route_not_found();
  if (has_get) allow += ", HEAD";
  auto res = http::error_response(Error::invalid_argument("method not allowed"));
  res.status = 405;
  res.set_header("Allow", allow);
  return res;
}

}  // namespace

StaticSite::StaticSite(StaticSiteOptions options)
    : service_origins_(std::move(options.service_origins)) {
  std::error_code ec;
  const auto root = fs::canonical(options.dir, ec);
  if (ec || !fs::is_directory(root, ec)) {
    spdlog::info("web app not found at {}; / explains how to build it", options.dir.string());
    return;
  }
  for (auto& [url, file] : list_files(root)) {
    Asset asset{file, content_type_of(file), std::nullopt, ""};
    const auto size = fs::file_size(file, ec);
    if (!ec && size <= options.max_cached_file_bytes &&
        cached_bytes_ + size <= options.max_cache_bytes) {
      if (auto bytes = read_file(file)) {
        cached_bytes_ += bytes->size();
        asset.etag = etag_of(*bytes);
        asset.body = std::move(*bytes);
      }
    }
    assets_.emplace(url, std::move(asset));
  }
  if (auto it = assets_.find("/index.html"); it != assets_.end()) index_ = &it->second;
  spdlog::info("web app: {} files from {} ({} bytes cached)", assets_.size(), root.string(),
               cached_bytes_);
}

http::Response StaticSite::serve(const http::Request& req) const {
  const std::string_view path = req.path;
  if (has_hidden_segment(path)) return route_not_found();
  if (const auto it = assets_.find(path); it != assets_.end()) {
    return answer(req, it->second, path.starts_with("/assets/"));
  }
  // A missing hashed asset is a stale page's request: index.html would only
  // fail to parse as a script.
  if (path.starts_with("/assets/")) return route_not_found();
  if (index_ == nullptr) return not_built_page();
  return answer(req, *index_, false);
}

http::Response StaticSite::answer(const http::Request& req, const Asset& asset,
                                  bool immutable) const {
  std::optional<std::string> read;  // an uncached file, read now
  if (!asset.body) {
    auto bytes = read_file(asset.file);
    if (!bytes) return route_not_found();  // removed since start
    read = std::move(*bytes);
  }
  const std::string etag = asset.body ? asset.etag : etag_of(*read);
  http::Response res;
  if (etag_matches(req.header("If-None-Match"), etag)) {
    res.status = 304;
  } else {
    res = http::text_response(200, asset.body ? std::string(*asset.body) : std::move(*read),
                              asset.content_type);
  }
  res.set_header("ETag", etag);
  // Hashed file names change with their content; everything else revalidates.
  res.set_header("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  add_security_headers(res, service_origins_ ? service_origins_() : std::string());
  return res;
}

bool is_static_site_route(const http::RouteInfo& route) {
  return route.pattern == "/" || route.pattern == kStaticSiteCatchAll;
}

void register_static_site_routes(http::Router& router,
                                 const std::shared_ptr<const StaticSite>& site) {
  // Pages take any query: the app's router reads it in the browser.
  router.add("GET", "/", [site](http::Request& req) { return site->serve(req); },
             {.any_query = true});
  for (const auto method : kMethods) {
    const bool page = method == "GET";
    router.add(
        method, kStaticSiteCatchAll,
        [site, &router, page](http::Request& req) {
          if (page && !is_reserved(req.path)) return site->serve(req);
          return route_miss(router, req.path);
        },
        {.body_limit = page ? http::RouteOptions{}.body_limit : kMissBodyLimit, .any_query = true});
  }
}

}  // namespace orsa::api
