#pragma once

// Private to RegistryClient: its state and the exchanges behind its
// operations (registry_transport.cpp: one request with the auth dance,
// registry_upload.cpp: blob uploads and pushes).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libcurl/easy.hpp"
#include "oci/registry_client.hpp"
#include "registry_http.hpp"

namespace orsa::oci {

struct RegistryClient::Impl {
  explicit Impl(libcurl::EasyHandle handle) : easy(std::move(handle)), curl(easy.get()) {}

  RegistryClientOptions options;
  std::string origin;        // scheme://host[:port], base_url without a trailing slash
  libcurl::EasyHandle easy;  // one handle for the client's life: its connection cache
  CURL* curl;
  RegistryClientStats stats;
  std::map<std::string, std::string> tokens;  // by the scopes they were fetched for
  bool basic_challenged = false;              // send Basic only once the registry asked for it

  std::string url(std::string_view path) const { return origin + std::string(path); }

  std::string v2(std::string_view repo, std::string_view rest) const {
    return origin + "/v2/" + std::string(repo) + "/" + std::string(rest);
  }

  // Locations may be absolute or relative to the registry's origin.
  std::string resolve(std::string_view location) const {
    if (location.starts_with("http://") || location.starts_with("https://")) {
      return std::string(location);
    }
    if (location.starts_with("/")) return origin + std::string(location);
    return origin + "/" + std::string(location);
  }

  bool same_origin(std::string_view target) const {
    return target.starts_with(origin) &&
           (target.size() == origin.size() || target[origin.size()] == '/');
  }

  static std::string scope_key(const std::vector<std::string>& scopes) {
    std::string key;
    for (const auto& s : scopes) key += s + " ";
    return key;
  }

  Authorization authorization_for(const Request& request) const {
    if (!same_origin(request.url)) return {};
    const auto& creds = options.credentials;
    if (creds.kind == RegistryCredentials::Kind::kBearer) {
      return {Authorization::Kind::kBearer, creds.token};
    }
    if (const auto it = tokens.find(scope_key(request.scopes)); it != tokens.end()) {
      return {Authorization::Kind::kBearer, it->second};
    }
    if (creds.kind == RegistryCredentials::Kind::kBasic && basic_challenged) {
      return {Authorization::Kind::kBasic, {}};
    }
    return {};
  }

  void set_common_options(char* error_buffer) const {
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                     std::max(1L, static_cast<long>(options.stall_timeout.count() / 1000)));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  }

  // One exchange, no auth retries. Any HTTP status is a value.
  Result<Response> perform(Request& request, const Authorization& auth);

  // One exchange with the auth dance: on 401 answer a Basic challenge with
  // the credentials, or a Bearer challenge with a token from its realm.
  Result<Response> send(Request& request);

  // The token flow of the distribution auth spec (GHCR, Docker Hub, CNCF
  // distribution with token auth): GET realm?service=&scope= with Basic creds.
  Result<std::string> fetch_token(const AuthChallenge& challenge,
                                  const std::vector<std::string>& scopes);

  // POST → 202 with a Location, or 201 when a mount succeeded.
  Result<Response> start_upload(std::string_view repo, const Digest& digest,
                                std::optional<std::string_view> mount_from);

  Result<void> upload(std::string_view repo, const Digest& digest, std::string location,
                      Body whole);

  static Result<void> check_digest_header(std::string_view what, const Response& response,
                                          const Digest& expected);
};

}  // namespace orsa::oci
