#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "core/strings.hpp"
#include "registry_client_impl.hpp"

namespace orsa::oci {

// One exchange, no auth retries. Any HTTP status is a value.
Result<Response> RegistryClient::Impl::perform(Request& request, const Authorization& auth) {
  curl_easy_reset(curl);  // keeps the connection cache: keep-alive across calls
  Response response;
  Transfer transfer{&request, &response, curl, &stats, std::nullopt, false};
  char error_buffer[CURL_ERROR_SIZE] = {};
  set_common_options(error_buffer);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());

  libcurl::HeaderList headers;
  for (const auto& h : request.headers) headers.append(h);
  headers.append("Expect:");  // no 100-continue round trip before bodies
  if (auth.kind == Authorization::Kind::kBearer)
    headers.append("Authorization: Bearer " + auth.bearer);
  if (auth.kind == Authorization::Kind::kBasic) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, options.credentials.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options.credentials.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    // Blob GETs may redirect to storage (S3 for ECR); curl drops our
    // Authorization header when the host changes.
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method != "DELETE") {
      if (!request.body) request.body = Body{};
      request.body->pos = 0;
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
      curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
      curl_easy_setopt(curl, CURLOPT_SEEKDATA, &transfer);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                       static_cast<curl_off_t>(request.body->length));
    }
  }
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);

  const CURLcode rc = curl_easy_perform(curl);
  ++stats.requests;
  long connects = 0;
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  stats.connections_opened += connects;
  if (transfer.error) return fail(*transfer.error);
  if (transfer.too_large) {
    return fail(
        Error::too_large("response exceeds " + std::to_string(request.max_body) + " bytes"));
  }
  if (rc != CURLE_OK) {
    const std::string why = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    return fail(Error::unavailable(request.method + " to registry " + origin + " failed: " + why));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

// One exchange with the auth dance: on 401 answer a Basic challenge with
// the credentials, or a Bearer challenge with a token from its realm.
Result<Response> RegistryClient::Impl::send(Request& request) {
  bool fetched_token = false;
  while (true) {
    const Authorization auth = authorization_for(request);
    auto response = perform(request, auth);
    if (!response || response->status != 401) return response;
    const auto& creds = options.credentials;
    auto challenges = parse_www_authenticate(response->header("www-authenticate"));
    if (!challenges || creds.kind == RegistryCredentials::Kind::kBearer) return response;
    const auto bearer = std::ranges::find(*challenges, "bearer", &AuthChallenge::scheme);
    const auto basic = std::ranges::find(*challenges, "basic", &AuthChallenge::scheme);
    if (bearer != challenges->end() && bearer->params.contains("realm") && !fetched_token) {
      auto token = fetch_token(*bearer, request.scopes);
      if (!token) return fail(token.error());
      tokens[scope_key(request.scopes)] = std::move(*token);
      fetched_token = true;
      continue;
    }
    if (basic != challenges->end() && creds.kind == RegistryCredentials::Kind::kBasic &&
        auth.kind != Authorization::Kind::kBasic) {
      basic_challenged = true;
      continue;
    }
    return response;
  }
}

// The token flow of the distribution auth spec (GHCR, Docker Hub, CNCF
// distribution with token auth): GET realm?service=&scope= with Basic creds.
Result<std::string> RegistryClient::Impl::fetch_token(const AuthChallenge& challenge,
                                                      const std::vector<std::string>& scopes) {
  const std::string& realm = challenge.params.at("realm");
  if (!realm.starts_with("https://") && !realm.starts_with("http://")) {
    return fail(Error::unauthenticated("registry token realm '" + realm + "' is not a URL"));
  }
  std::vector<std::string> wanted = scopes;
  if (const auto it = challenge.params.find("scope"); it != challenge.params.end()) {
    if (std::ranges::find(wanted, it->second) == wanted.end()) wanted.push_back(it->second);
  }
  std::string token_url = realm;
  if (const auto it = challenge.params.find("service"); it != challenge.params.end()) {
    token_url = with_query(token_url, "service=" + escape(it->second));
  }
  for (const auto& s : wanted) token_url = with_query(token_url, "scope=" + escape(s));

  Request request{.url = token_url, .max_body = 1024 * 1024};
  const bool has_basic = options.credentials.kind == RegistryCredentials::Kind::kBasic;
  ++stats.token_requests;
  auto response =
      perform(request, {has_basic ? Authorization::Kind::kBasic : Authorization::Kind::kNone, {}});
  if (!response) return fail(response.error());
  const std::string what = "token service " + realm;
  if (response->status != 200) {
    Error e = registry_error(what, *response);
    e.code = ErrorCode::kUnauthenticated;
    return fail(std::move(e));
  }
  const auto doc = nlohmann::json::parse(response->body, nullptr, false);
  for (const char* key : {"token", "access_token"}) {
    if (doc.is_object() && doc.contains(key) && doc[key].is_string() &&
        !doc[key].get<std::string>().empty()) {
      return doc[key].get<std::string>();
    }
  }
  return fail(Error::unauthenticated(what + " answered without a token"));
}

}  // namespace orsa::oci
