#include "aws/json_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <random>
#include <thread>
#include <utility>

#include "aws/sigv4.hpp"
#include "core/clock.hpp"
#include "core/strings.hpp"
#include "libcurl/easy.hpp"

namespace orsa::aws {
namespace {

struct Sink {
  std::string* body = nullptr;
  std::size_t max_bytes = 0;
  bool overflowed = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  if (size * count > sink->max_bytes - sink->body->size()) {
    sink->overflowed = true;
    return 0;
  }
  sink->body->append(data, size * count);
  return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  const std::string_view line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), "x-amzn-RequestId")) {
    *static_cast<std::string*>(user) = std::string(trim(line.substr(colon + 1)));
  }
  return size * count;
}

// "https://host:port/base" → host[:port] and the path ("/" when none).
struct UrlParts {
  std::string host;
  std::string path = "/";
};

Result<UrlParts> split_url(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos ||
      (url.substr(0, scheme) != "https" && url.substr(0, scheme) != "http")) {
    return fail(Error::invalid_argument("an AWS endpoint is an http(s) URL: " + url));
  }
  const auto rest = url.substr(scheme + 3);
  const auto slash = rest.find('/');
  UrlParts parts{.host = rest.substr(0, slash)};
  if (slash != std::string::npos) parts.path = rest.substr(slash);
  if (parts.host.empty()) return fail(Error::invalid_argument("an AWS endpoint names no host"));
  return parts;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.ends_with(suffix);
}

// "aws.protocols#ValidationException:http://…" and "…#Code" forms carry the code last.
std::string bare_code(std::string code) {
  if (const auto hash = code.rfind('#'); hash != std::string::npos) code.erase(0, hash + 1);
  if (const auto colon = code.find(':'); colon != std::string::npos) code.erase(colon);
  return code;
}

ServiceError parse_error(int status, std::string_view body, std::string request_id) {
  ServiceError e{.status = status, .request_id = std::move(request_id)};
  auto doc = Json::parse(body, nullptr, false);
  if (doc.is_object()) {
    e.code = bare_code(doc.value("__type", doc.value("code", std::string())));
    e.message = doc.value("message", doc.value("Message", std::string()));
  }
  if (e.code.empty()) e.code = status >= 500 ? "InternalFailure" : "UnknownError";
  if (e.message.empty()) e.message = std::string(body.substr(0, 200));
  return e;
}

}  // namespace

JsonClientOptions for_service(JsonClientOptions options, const ServiceProtocol& protocol) {
  options.endpoint.signing_name = protocol.signing_name;
  options.endpoint.target_prefix = protocol.target_prefix;
  options.endpoint.json_version = protocol.json_version;
  if (options.endpoint.url.empty()) {
    options.endpoint.url = default_url(protocol.endpoint_prefix, options.endpoint.region);
  }
  return options;
}

std::string default_url(std::string_view endpoint_prefix, std::string_view region) {
  const std::string domain = region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return "https://" + std::string(endpoint_prefix) + "." + std::string(region) + "." + domain;
}

bool is_throttling(const ServiceError& e) {
  static constexpr std::string_view kCodes[] = {"Throttling",
                                                "ThrottlingException",
                                                "ThrottledException",
                                                "RequestThrottledException",
                                                "TooManyRequestsException",
                                                "RequestLimitExceeded",
                                                "SlowDown",
                                                "RequestThrottled",
                                                "ProvisionedThroughputExceededException"};
  return e.status == 429 || std::ranges::find(kCodes, e.code) != std::end(kCodes);
}

Error to_error(const ServiceError& e, std::string_view operation) {
  std::string message = std::string(operation) + ": " + e.code + ": " + e.message;
  if (!e.request_id.empty()) message += " (request id " + e.request_id + ")";
  const std::string_view code = e.code;
  if (is_throttling(e)) return Error::rate_limited(std::move(message), 1);
  if (ends_with(code, "NotFoundException") || ends_with(code, "NotFound")) {
    return Error::not_found(std::move(message));
  }
  if (code.find("AlreadyExists") != std::string_view::npos)
    return Error::conflict(std::move(message));
  static constexpr std::string_view kRefusedCredentials[] = {"UnrecognizedClientException",
                                                             "InvalidSignatureException",
                                                             "IncompleteSignatureException",
                                                             "InvalidClientTokenId",
                                                             "SignatureDoesNotMatch",
                                                             "ExpiredTokenException",
                                                             "MissingAuthenticationTokenException"};
  if (std::ranges::find(kRefusedCredentials, code) != std::end(kRefusedCredentials)) {
    return Error::unauthenticated(std::move(message));
  }
  if (code.starts_with("AccessDenied")) return Error::permission_denied(std::move(message));
  if (e.status >= 500) return Error::unavailable(std::move(message));
  if (code.find("Validation") != std::string_view::npos || code.starts_with("InvalidParameter") ||
      code == "SerializationException" || code == "ClientException") {
    return Error::invalid_argument(std::move(message));
  }
  return Error::unprocessable(std::move(message));
}

JsonClient::JsonClient(JsonClientOptions options) : options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return SystemClock().now_unix(); };
}

std::chrono::milliseconds JsonClient::backoff(int attempt) const {
  // "Full jitter": anywhere up to the exponential ceiling, so that clients
  // throttled together do not come back together.
  const auto ceiling = std::min<std::int64_t>(
      options_.max_delay.count(),
      options_.base_delay.count() * (std::int64_t{1} << std::min(attempt, 20)));
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 0));
  return std::chrono::milliseconds(pick(generator));
}

Result<JsonClient::Answer> JsonClient::send_once(std::string_view operation,
                                                 const std::string& body) const {
  auto credentials = options_.credentials();
  if (!credentials) return fail(credentials.error());
  auto url = split_url(options_.endpoint.url);
  if (!url) return fail(url.error());
  const ServiceEndpoint& endpoint = options_.endpoint;
  HttpRequest request{
      .method = "POST",
      .host = url->host,
      .path = url->path,
      .headers = {{"Content-Type", "application/x-amz-json-" + endpoint.json_version},
                  {"X-Amz-Target", endpoint.target_prefix + "." + std::string(operation)}},
      .body = body};
  const Params signature =
      sign(request, *credentials, {.region = endpoint.region, .service = endpoint.signing_name},
           options_.now());
  auto curl = libcurl::EasyHandle::create();
  if (!curl) return fail(curl.error());
  CURL* h = curl->get();
  libcurl::HeaderList headers;
  headers.append("Host: " + url->host);
  for (const Params* list : {&std::as_const(request.headers), &signature}) {
    for (const auto& [name, value] : *list)
      headers.append(std::string(name).append(": ").append(value));
  }
  headers.append("Expect:");
  char error_buffer[CURL_ERROR_SIZE] = {};
  Answer answer;
  Sink sink{&answer.body, options_.max_response_bytes};
  const std::string target = options_.endpoint.url;
  curl_easy_setopt(h, CURLOPT_URL, target.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  libcurl::set_request_body(h, body);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &answer.request_id);
  const CURLcode rc = curl_easy_perform(h);
  if (sink.overflowed) {
    return fail(Error::too_large(std::string(operation) + ": answer larger than " +
                                 std::to_string(options_.max_response_bytes) + " bytes"));
  }
  if (rc != CURLE_OK) {
    return fail(
        Error::unavailable(std::string(operation) + ": " +
                           (error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc))));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  answer.status = static_cast<int>(status);
  return answer;
}

Result<Json> JsonClient::call(std::string_view operation, const Json& input) const {
  const std::string name = options_.endpoint.signing_name + " " + std::string(operation);
  const std::string body = input.dump();
  for (int attempt = 1;; ++attempt) {
    auto answer = send_once(operation, body);
    const bool last = attempt >= options_.max_attempts;
    if (!answer) {
      // A broken connection may be the network's: asked again, as the SDKs do.
      if (answer.error().code != ErrorCode::kUnavailable || last) return fail(answer.error());
    } else if (answer->status >= 200 && answer->status < 300) {
      auto doc =
          Json::parse(answer->body.empty() ? std::string("{}") : answer->body, nullptr, false);
      if (doc.is_discarded()) return fail(Error::unavailable(name + ": the answer is not JSON"));
      return doc;
    } else {
      const ServiceError e = parse_error(answer->status, answer->body, answer->request_id);
      if ((!is_throttling(e) && e.status < 500) || last) return fail(to_error(e, name));
    }
    std::this_thread::sleep_for(backoff(attempt));
  }
}

}  // namespace orsa::aws
