#include "provider_http.hpp"

#include <fmt/format.h>

#include "core/strings.hpp"

namespace orsa::deployer {
namespace {

Result<std::string> body_of(Result<http::ClientResponse> response, std::string_view what) {
  if (!response) return fail(response.error());
  if (response->status < 200 || response->status >= 300)
    return fail(Error::unavailable(fmt::format("{} answered HTTP {}", what, response->status)));
  return std::move(response->body);
}

constexpr std::string_view kUserAgent = "orsa";

}  // namespace

Result<std::string> CurlProviderHttp::get(const std::string& url) {
  return body_of(
      client_.request("GET", url,
                      {{"Accept", "application/json"}, {"User-Agent", std::string(kUserAgent)}}),
      url);
}

Result<std::string> CurlProviderHttp::get_authorized(const std::string& url,
                                                     const std::string& token) {
  return body_of(client_.request("GET", url,
                                 {{"Accept", "application/json"},
                                  {"Authorization", "Bearer " + token},
                                  {"User-Agent", std::string(kUserAgent)}}),
                 url);
}

Result<std::string> CurlProviderHttp::post_form(
    const std::string& url, const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += percent_encode(name) + "=" + percent_encode(value);
  }
  return body_of(client_.request("POST", url,
                                 {{"Accept", "application/json"},
                                  {"Content-Type", "application/x-www-form-urlencoded"},
                                  {"User-Agent", std::string(kUserAgent)}},
                                 body),
                 url);
}

}  // namespace orsa::deployer
