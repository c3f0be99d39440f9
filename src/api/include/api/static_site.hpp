#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"
#include "http/router.hpp"

namespace orsa::api {

/// Where the built web app lives and how much of it is kept in memory.
struct StaticSiteOptions {
  std::filesystem::path dir;
  std::size_t max_cached_file_bytes = 1024 * 1024;  // larger files are read per request
  std::size_t max_cache_bytes = 32 * 1024 * 1024;   // all cached files together
  /// The services' origins as a CSP source ("http://127.0.0.1:8081",
  /// "https://*.apps.example.net"), which the app may connect to; read per
  /// response (the services listener binds after the site is made).
  std::function<std::string()> service_origins;
};

/// The built single-page app (web/dist): files by URL path, client-side
/// routes answered with index.html, and a "not built" page when the
/// directory has no index.html.
// The directory is indexed once at start and only indexed files are ever
// served: a request path is a map key, never joined to a filesystem path, so
// "..", dotfiles and symlinks leading out of the directory cannot be reached.
// A rebuilt app is picked up on restart.
class StaticSite {
 public:
  /// Indexes `options.dir`; a missing or unreadable directory gives a site
  /// that answers the "not built" page.
  explicit StaticSite(StaticSiteOptions options);
  StaticSite(const StaticSite&) = delete;  // index_ points into assets_
  StaticSite& operator=(const StaticSite&) = delete;

  /// Answers a GET or HEAD for `req.path` (percent-decoded, starting with '/').
  http::Response serve(const http::Request& req) const;

  /// True when the directory had an index.html at start.
  bool built() const { return index_ != nullptr; }
  /// Bytes of file content held in memory.
  std::size_t cached_bytes() const { return cached_bytes_; }

  struct Asset {
    std::filesystem::path file;       // canonical path inside the directory
    std::string content_type;         // from the extension
    std::optional<std::string> body;  // cached content
    std::string etag;                 // of the cached content
  };

 private:
  http::Response answer(const http::Request& req, const Asset& asset, bool immutable) const;

  std::map<std::string, Asset, std::less<>> assets_;  // by URL path: "/assets/x.js"
  const Asset* index_ = nullptr;
  std::size_t cached_bytes_ = 0;
  std::function<std::string()> service_origins_;
};

/// The router pattern of the site's catch-all routes.
inline constexpr std::string_view kStaticSiteCatchAll = "/{path...}";

/// True for the routes register_static_site_routes adds: the web app's pages,
/// which are not part of the REST API document.
bool is_static_site_route(const http::RouteInfo& route);

/// Registers `GET /` and the catch-all `/{path...}`. Paths under the API,
/// registry, gateway and system prefixes (and methods other than GET/HEAD)
/// still get the router's JSON 404 or 405, as if the catch-all were absent.
void register_static_site_routes(http::Router& router,
                                 const std::shared_ptr<const StaticSite>& site);

}  // namespace orsa::api
