#include "oci/registry_client.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <system_error>

#include "core/strings.hpp"
#include "core/unique_fd.hpp"
#include "libcurl/easy.hpp"
#include "oci/manifest.hpp"
#include "oci/media_types.hpp"
#include "oci/tag.hpp"

namespace orsa::oci {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kMaxErrorBody = 64 * 1024;
constexpr int kMaxTagPages = 10000;

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// ---- WWW-Authenticate (RFC 7235): challenge = scheme [ token68 / #auth-param ]

class ChallengeParser {
 public:
  explicit ChallengeParser(std::string_view text) : s_(text) {}

  Result<std::vector<AuthChallenge>> parse() {
    std::vector<AuthChallenge> out;
    skip_separators();
    while (i_ < s_.size()) {
      const std::string scheme = read_token();
      if (scheme.empty()) return bad("expected an auth scheme");
      out.push_back({ascii_lower(scheme), {}});
      if (auto r = parse_params(out.back()); !r) return fail(r.error());
      skip_separators();
    }
    return out;
  }

 private:
  // Reads `name=value` pairs until the next scheme (a token not followed by '=').
  Result<void> parse_params(AuthChallenge& challenge) {
    while (true) {
      skip_separators();
      const std::size_t start = i_;
      const std::string name = read_token();
      if (name.empty()) return {};
      skip_spaces();
      if (i_ >= s_.size() || s_[i_] != '=') {
        i_ = start;  // a new challenge begins here
        return {};
      }
      ++i_;
      skip_spaces();
      auto value = read_value();
      if (!value) return fail(value.error());
      challenge.params[ascii_lower(name)] = std::move(*value);
    }
  }

  Result<std::string> read_value() {
    if (i_ < s_.size() && s_[i_] == '"') {
      ++i_;
      std::string value;
      while (i_ < s_.size() && s_[i_] != '"') {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
        value += s_[i_++];
      }
      if (i_ >= s_.size()) return bad("unterminated quoted string");
      ++i_;
      return value;
    }
    return read_token();
  }

  std::string read_token() {
    const std::size_t start = i_;
    while (i_ < s_.size() && is_token_char(s_[i_])) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  void skip_spaces() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  void skip_separators() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) ++i_;
  }
  std::unexpected<Error> bad(std::string_view why) const {
    return fail(Error::invalid_argument("WWW-Authenticate: " + std::string(why) + " at offset " +
                                        std::to_string(i_)));
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// ---- names

// Repository names per the distribution spec, lower-case path components.
bool valid_repo(std::string_view repo) {
  if (repo.empty() || repo.size() > 255) return false;
  bool at_component_start = true;
  for (std::size_t i = 0; i < repo.size(); ++i) {
    const char c = repo[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (at_component_start && !alnum) return false;
    if (!alnum && c != '.' && c != '_' && c != '-' && c != '/') return false;
    if (c == '/' && !std::isalnum(static_cast<unsigned char>(repo[i - 1]))) return false;
    at_component_start = c == '/';
  }
  return std::isalnum(static_cast<unsigned char>(repo.back())) != 0;
}

Result<void> check_repo(std::string_view repo) {
  if (valid_repo(repo)) return {};
  return fail(Error::invalid_argument("invalid repository name '" + std::string(repo) + "'"));
}

Result<void> check_reference(std::string_view reference) {
  if (reference.find(':') != std::string_view::npos) {
    if (auto d = Digest::parse(reference); !d) return fail(d.error());
    return {};
  }
  if (validate_tag(reference)) return {};
  return fail(Error::invalid_argument("invalid tag '" + std::string(reference) + "'"));
}

std::string push_scope(std::string_view repo) {
  return "repository:" + std::string(repo) + ":pull,push";
}
std::string pull_scope(std::string_view repo) {
  return "repository:" + std::string(repo) + ":pull";
}

std::string with_query(std::string url, std::string_view param) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += param;
  return url;
}

std::string escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out += c;
    } else {
      constexpr char kHex[] = "0123456789ABCDEF";
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  return out;
}

// ---- one HTTP exchange

struct Response {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(std::string_view name) const {
    const auto it = headers.find(std::string(name));
    return it == headers.end() ? std::string() : it->second;
  }
};

// A request body: a slice of memory or of an open file, re-readable for retries.
struct Body {
  std::string_view memory;
  int fd = -1;
  std::int64_t offset = 0;
  std::int64_t length = 0;
  std::int64_t pos = 0;
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;
  std::optional<Body> body;
  std::vector<std::string> scopes;  // token scopes this request needs
  std::int64_t max_body = kMaxErrorBody;
  const BlobSink* sink = nullptr;  // receives a 2xx body instead of Response::body
};

struct Authorization {
  enum class Kind { kNone, kBasic, kBearer } kind = Kind::kNone;
  std::string bearer;
};

struct Transfer {
  Request* request = nullptr;
  Response* response = nullptr;
  CURL* curl = nullptr;
  RegistryClientStats* stats = nullptr;
  std::optional<Error> error;
  bool too_large = false;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {  // a new response (redirect, 100 Continue)
    t->response->headers.clear();
    return size * count;
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers.emplace(ascii_lower(trim(line.substr(0, colon))),
                                 std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  t->stats->bytes_downloaded += static_cast<std::int64_t>(n);
  const bool ok = status >= 200 && status < 300;
  if (ok && t->request->sink != nullptr) {
    if (auto r = (*t->request->sink)(std::string_view(data, n)); !r) {
      t->error = r.error();
      return 0;
    }
    return n;
  }
  std::string& body = t->response->body;
  if (!ok) {  // an error document: keep its start, drop the rest
    body.append(data, std::min(n, kMaxErrorBody - std::min(kMaxErrorBody, body.size())));
    return n;
  }
  if (static_cast<std::int64_t>(body.size() + n) > t->request->max_body) {
    t->too_large = true;
    return 0;
  }
  body.append(data, n);
  return n;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  Body& b = *t->request->body;
  const auto want = static_cast<std::int64_t>(
      std::min<std::uint64_t>(size * count, static_cast<std::uint64_t>(b.length - b.pos)));
  if (want <= 0) return 0;
  std::size_t got = 0;
  if (b.fd < 0) {
    std::memcpy(buffer, b.memory.data() + b.offset + b.pos, static_cast<std::size_t>(want));
    got = static_cast<std::size_t>(want);
  } else {
    const ssize_t r = ::pread(b.fd, buffer, static_cast<std::size_t>(want), b.offset + b.pos);
    if (r <= 0) {  // the file shrank or failed under us
      t->error = Error::internal(std::string("reading the blob file failed: ") +
                                 (r < 0 ? errno_message(errno) : "unexpected end of file"));
      return CURL_READFUNC_ABORT;
    }
    got = static_cast<std::size_t>(r);
  }
  b.pos += static_cast<std::int64_t>(got);
  t->stats->bytes_uploaded += static_cast<std::int64_t>(got);
  return got;
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  Body& b = *t->request->body;
  if (origin != SEEK_SET || offset < 0 || offset > b.length) return CURL_SEEKFUNC_CANTSEEK;
  b.pos = offset;
  return CURL_SEEKFUNC_OK;
}

ErrorCode code_for_status(long status) {
  switch (status) {
    case 400:
      return ErrorCode::kInvalidArgument;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kConflict;
    case 413:
      return ErrorCode::kTooLarge;
    case 416:
      return ErrorCode::kInvalidArgument;
    case 429:
      return ErrorCode::kRateLimited;
    default:
      return status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInternal;
  }
}

// "<what>: HTTP 400 DIGEST_INVALID: provided digest did not match uploaded content";
// detail is the registry's error code.
Error registry_error(std::string_view what, const Response& response) {
  std::string code;
  std::string message;
  const auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array() &&
      !doc["errors"].empty() && doc["errors"][0].is_object()) {
    const auto& first = doc["errors"][0];
    if (first.contains("code") && first["code"].is_string()) code = first["code"];
    if (first.contains("message") && first["message"].is_string()) message = first["message"];
  }
  std::string text = std::string(what) + ": HTTP " + std::to_string(response.status);
  if (!code.empty()) text += " " + code;
  if (!message.empty()) text += ": " + message.substr(0, 300);
  if (response.status == 401 && code.empty()) text += " (credentials missing or rejected)";
  return with_registry_code(Error{code_for_status(response.status), std::move(text), {}},
                            std::move(code));
}

Result<std::int64_t> source_size(const BlobSource& source) {
  if (const auto* bytes = std::get_if<std::string_view>(&source)) {
    return static_cast<std::int64_t>(bytes->size());
  }
  std::error_code ec;
  const auto& path = std::get<std::filesystem::path>(source);
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(Error::invalid_argument("blob file " + path.string() + ": " + ec.message()));
  return static_cast<std::int64_t>(size);
}

}  // namespace

Result<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header) {
  return ChallengeParser(header).parse();
}

// ---- the client

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
  Result<Response> perform(Request& request, const Authorization& auth) {
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
      return fail(
          Error::unavailable(request.method + " to registry " + origin + " failed: " + why));
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

  // One exchange with the auth dance: on 401 answer a Basic challenge with
  // the credentials, or a Bearer challenge with a token from its realm.
  Result<Response> send(Request& request) {
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
  Result<std::string> fetch_token(const AuthChallenge& challenge,
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
    auto response = perform(
        request, {has_basic ? Authorization::Kind::kBasic : Authorization::Kind::kNone, {}});
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

  // POST → 202 with a Location, or 201 when a mount succeeded.
  Result<Response> start_upload(std::string_view repo, const Digest& digest,
                                std::optional<std::string_view> mount_from) {
    Request request{
        .method = "POST", .url = v2(repo, "blobs/uploads/"), .scopes = {push_scope(repo)}};
    if (mount_from) {
      request.url =
          with_query(request.url, "mount=" + escape(digest.str()) + "&from=" + escape(*mount_from));
      request.scopes.push_back(pull_scope(*mount_from));
    }
    auto response = send(request);
    if (!response) return response;
    const bool started = response->status == 202 && !response->header("location").empty();
    if (response->status == 201 && mount_from) return response;
    if (!started) {
      return fail(registry_error(
          "starting the upload of blob " + digest.str() + " to " + std::string(repo), *response));
    }
    return response;
  }

  Result<void> upload(std::string_view repo, const Digest& digest, std::string location,
                      Body whole) {
    const std::string what = "uploading blob " + digest.str() + " to " + std::string(repo);
    const std::int64_t chunk = options.chunk_size;
    Body final_body{};
    if (whole.length <= chunk) {
      final_body = whole;  // monolithic: the whole blob in the closing PUT
    } else {
      for (std::int64_t at = 0; at < whole.length; at += chunk) {
        Body part = whole;
        part.offset = whole.offset + at;
        part.length = std::min(chunk, whole.length - at);
        Request patch{.method = "PATCH",
                      .url = location,
                      .headers = {"Content-Type: application/octet-stream",
                                  "Content-Range: " + std::to_string(at) + "-" +
                                      std::to_string(at + part.length - 1)},
                      .body = part,
                      .scopes = {push_scope(repo)}};
        auto response = send(patch);
        if (!response) return fail(response.error());
        if (response->status != 202 || response->header("location").empty()) {
          return fail(registry_error(what + " (chunk at " + std::to_string(at) + ")", *response));
        }
        location = resolve(response->header("location"));
      }
    }
    Request put{.method = "PUT",
                .url = with_query(location, "digest=" + escape(digest.str())),
                .headers = {"Content-Type: application/octet-stream"},
                .body = final_body,
                .scopes = {push_scope(repo)}};
    auto response = send(put);
    if (!response) return fail(response.error());
    if (response->status != 201) return fail(registry_error(what, *response));
    return check_digest_header(what, *response, digest);
  }

  static Result<void> check_digest_header(std::string_view what, const Response& response,
                                          const Digest& expected) {
    const std::string header = response.header("docker-content-digest");
    if (header.empty() || header == expected.str()) return {};
    return fail(
        with_registry_code(Error::internal(std::string(what) + ": registry reports digest " +
                                           header + ", expected " + expected.str()),
                           "DIGEST_INVALID"));
  }
};

Result<RegistryClient> RegistryClient::create(RegistryClientOptions options) {
  std::string base = options.base_url;
  while (base.ends_with('/')) base.pop_back();
  if (base.ends_with("/v2")) base.resize(base.size() - 3);
  const bool http = base.starts_with("http://") || base.starts_with("https://");
  if (!http || base.find('/', base.find("//") + 2) != std::string::npos) {
    return fail(Error::invalid_argument("registry URL must be http(s)://host[:port], got '" +
                                        options.base_url + "'"));
  }
  if (options.chunk_size <= 0 || options.max_manifest_bytes <= 0 || options.max_blob_bytes <= 0) {
    return fail(Error::invalid_argument("registry client sizes must be positive"));
  }
  auto easy = libcurl::EasyHandle::create();
  if (!easy) return fail(easy.error());
  auto impl = std::make_unique<Impl>(std::move(*easy));
  impl->origin = std::move(base);
  impl->options = std::move(options);
  return RegistryClient(std::move(impl));
}

RegistryClient::RegistryClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RegistryClient::~RegistryClient() = default;
RegistryClient::RegistryClient(RegistryClient&&) noexcept = default;
RegistryClient& RegistryClient::operator=(RegistryClient&&) noexcept = default;

const RegistryClientStats& RegistryClient::stats() const {
  return impl_->stats;
}

Result<void> RegistryClient::ping() {
  Request request{.url = impl_->url("/v2/")};
  auto response = impl_->send(request);
  if (!response) return fail(response.error());
  if (response->status != 200) return fail(registry_error("registry " + impl_->origin, *response));
  return {};
}

Result<bool> RegistryClient::blob_exists(std::string_view repo, const Digest& digest) {
  if (auto r = check_repo(repo); !r) return fail(r.error());
  Request request{.method = "HEAD",
                  .url = impl_->v2(repo, "blobs/" + digest.str()),
                  .scopes = {pull_scope(repo)}};
  auto response = impl_->send(request);
  if (!response) return fail(response.error());
  if (response->status == 200) return true;
  if (response->status == 404) return false;
  return fail(
      registry_error("checking blob " + digest.str() + " in " + std::string(repo), *response));
}

Result<BlobPushResult> RegistryClient::push_blob(std::string_view repo, const Digest& digest,
                                                 const BlobSource& source,
                                                 std::optional<std::string_view> mount_from) {
  if (auto r = check_repo(repo); !r) return fail(r.error());
  if (mount_from) {
    if (auto r = check_repo(*mount_from); !r) return fail(r.error());
  }
  auto size = source_size(source);
  if (!size) return fail(size.error());
  if (*size > impl_->options.max_blob_bytes) {
    return fail(Error::too_large("blob " + digest.str() + " has " + std::to_string(*size) +
                                 " bytes, over the limit of " +
                                 std::to_string(impl_->options.max_blob_bytes)));
  }
  BlobPushResult result{.digest = digest, .size = *size};
  auto exists = blob_exists(repo, digest);
  if (!exists) return fail(exists.error());
  if (*exists) {
    result.outcome = BlobPushOutcome::kSkipped;
    return result;
  }
  auto started = impl_->start_upload(repo, digest, mount_from);
  if (!started) return fail(started.error());
  if (started->status == 201) {
    result.outcome = BlobPushOutcome::kMounted;
    return result;
  }

  Body body{.length = *size};
  std::optional<UniqueFd> file;
  if (const auto* bytes = std::get_if<std::string_view>(&source)) {
    body.memory = *bytes;
  } else {
    const auto& path = std::get<std::filesystem::path>(source);
    file.emplace(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file->get() < 0) {
      return fail(Error::invalid_argument("cannot open blob file " + path.string() + ": " +
                                          errno_message(errno)));
    }
    body.fd = file->get();
  }
  const std::int64_t before = impl_->stats.bytes_uploaded;
  auto uploaded = impl_->upload(repo, digest, impl_->resolve(started->header("location")), body);
  if (!uploaded) return fail(uploaded.error());
  result.bytes_uploaded = impl_->stats.bytes_uploaded - before;
  return result;
}

Result<Digest> RegistryClient::push_manifest(std::string_view repo, std::string_view reference,
                                             std::string_view bytes, std::string_view media_type) {
  if (auto r = check_repo(repo); !r) return fail(r.error());
  if (auto r = check_reference(reference); !r) return fail(r.error());
  const std::string what = "pushing manifest " + std::string(repo) + ":" + std::string(reference);
  if (static_cast<std::int64_t>(bytes.size()) > impl_->options.max_manifest_bytes) {
    return fail(
        Error::too_large(what + ": " + std::to_string(bytes.size()) + " bytes, over the limit"));
  }
  const Digest digest = Digest::of(bytes);
  if (reference.find(':') != std::string_view::npos && reference != digest.str()) {
    return fail(Error::invalid_argument(what + ": the content has digest " + digest.str()));
  }
  Request request{.method = "PUT",
                  .url = impl_->v2(repo, "manifests/" + std::string(reference)),
                  .headers = {"Content-Type: " + std::string(media_type)},
                  .body = Body{.memory = bytes, .length = static_cast<std::int64_t>(bytes.size())},
                  .scopes = {push_scope(repo)}};
  auto response = impl_->send(request);
  if (!response) return fail(response.error());
  if (response->status != 201) return fail(registry_error(what, *response));
  if (auto r = Impl::check_digest_header(what, *response, digest); !r) return fail(r.error());
  return digest;
}

Result<ImagePushReport> RegistryClient::push_image(std::string_view repo, std::string_view tag,
                                                   std::string_view manifest,
                                                   std::string_view config,
                                                   const std::vector<BlobSource>& layers,
                                                   std::optional<std::string_view> mount_from) {
  auto parsed = parse_manifest(manifest);
  if (!parsed) return fail(parsed.error());
  if (parsed->layers.size() != layers.size()) {
    return fail(Error::invalid_argument("push_image: the manifest lists " +
                                        std::to_string(parsed->layers.size()) + " layers but " +
                                        std::to_string(layers.size()) + " were given"));
  }
  ImagePushReport report;
  auto record = [&report](const BlobPushResult& blob) {
    report.blobs.push_back(blob);
    report.bytes_uploaded += blob.bytes_uploaded;
    switch (blob.outcome) {
      case BlobPushOutcome::kUploaded:
        ++report.blobs_uploaded;
        break;
      case BlobPushOutcome::kSkipped:
        ++report.blobs_skipped;
        break;
      case BlobPushOutcome::kMounted:
        ++report.blobs_mounted;
        break;
    }
  };
  const auto t0 = SteadyClock::now();
  auto pushed = push_blob(repo, parsed->config.digest, BlobSource(config), mount_from);
  if (!pushed) return fail(pushed.error());
  record(*pushed);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    pushed = push_blob(repo, parsed->layers[i].digest, layers[i], mount_from);
    if (!pushed) return fail(pushed.error());
    record(*pushed);
  }
  const auto t1 = SteadyClock::now();
  auto digest = push_manifest(repo, tag, manifest, parsed->media_type);
  if (!digest) return fail(digest.error());
  report.manifest_digest = *digest;
  report.blobs_time = std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0);
  report.manifest_time =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t1);
  return report;
}

Result<PulledManifest> RegistryClient::get_manifest(std::string_view repo,
                                                    std::string_view reference) {
  if (auto r = check_repo(repo); !r) return fail(r.error());
  if (auto r = check_reference(reference); !r) return fail(r.error());
  const std::string what = "manifest " + std::string(repo) + ":" + std::string(reference);
  Request request{
      .url = impl_->v2(repo, "manifests/" + std::string(reference)),
      .headers = {"Accept: " + std::string(kOciManifest) + ", " + std::string(kOciIndex) + ", " +
                  std::string(kDockerManifest) + ", " + std::string(kDockerManifestList)},
      .scopes = {pull_scope(repo)},
      .max_body = impl_->options.max_manifest_bytes};
  auto response = impl_->send(request);
  if (!response) {
    Error error = response.error();
    error.message = what + ": " + error.message;
    return fail(std::move(error));
  }
  if (response->status != 200) return fail(registry_error(what, *response));
  PulledManifest pulled{.bytes = std::move(response->body),
                        .media_type = response->header("content-type"),
                        .digest = Digest::of("")};
  pulled.media_type = std::string(trim(pulled.media_type.substr(0, pulled.media_type.find(';'))));
  pulled.digest = Digest::of(pulled.bytes);
  const bool by_digest = reference.find(':') != std::string_view::npos;
  if (by_digest && pulled.digest.str() != reference) {
    return fail(with_registry_code(
        Error{ErrorCode::kInternal, what + ": content has digest " + pulled.digest.str(), {}},
        "DIGEST_INVALID"));
  }
  // A header in another algorithm cannot be checked here; a sha256 one must match.
  if (auto header = Digest::parse(response->header("docker-content-digest"));
      header && *header != pulled.digest) {
    return fail(with_registry_code(Error{ErrorCode::kInternal,
                                         what + ": content has digest " + pulled.digest.str() +
                                             " but the registry says " + header->str(),
                                         {}},
                                   "DIGEST_INVALID"));
  }
  return pulled;
}

Result<std::int64_t> RegistryClient::get_blob(std::string_view repo, const Digest& digest,
                                              const BlobSink& sink) {
  if (auto r = check_repo(repo); !r) return fail(r.error());
  const std::string what = "blob " + digest.str() + " in " + std::string(repo);
  Sha256 hasher;
  std::int64_t received = 0;
  const std::int64_t limit = impl_->options.max_blob_bytes;
  const BlobSink verifying = [&](std::string_view chunk) -> Result<void> {
    received += static_cast<std::int64_t>(chunk.size());
    if (received > limit) {
      return fail(Error::too_large(what + " exceeds " + std::to_string(limit) + " bytes"));
    }
    hasher.update(chunk);
    return sink(chunk);
  };
  Request request{.url = impl_->v2(repo, "blobs/" + digest.str()),
                  .scopes = {pull_scope(repo)},
                  .sink = &verifying};
  auto response = impl_->send(request);
  if (!response) return fail(response.error());
  if (response->status != 200) return fail(registry_error(what, *response));
  const Digest actual = hasher.finish();
  if (actual != digest) {
    return fail(with_registry_code(
        Error{ErrorCode::kInternal, what + ": content has digest " + actual.str(), {}},
        "DIGEST_INVALID"));
  }
  return received;
}

Result<std::string> RegistryClient::get_blob_bytes(std::string_view repo, const Digest& digest,
                                                   std::int64_t max_bytes) {
  std::string out;
  auto got = get_blob(repo, digest, [&](std::string_view chunk) -> Result<void> {
    if (static_cast<std::int64_t>(out.size() + chunk.size()) > max_bytes) {
      return fail(Error::too_large("blob " + digest.str() + " exceeds " +
                                   std::to_string(max_bytes) + " bytes"));
    }
    out.append(chunk);
    return {};
  });
  if (!got) return fail(got.error());
  return out;
}

Result<std::vector<std::string>> RegistryClient::list_tags(std::string_view repo) {
  if (auto r = check_repo(repo); !r) return fail(r.error());
  std::vector<std::string> tags;
  std::string next = impl_->v2(repo, "tags/list?n=1000");
  for (int page = 0; page < kMaxTagPages && !next.empty(); ++page) {
    Request request{
        .url = next, .scopes = {pull_scope(repo)}, .max_body = impl_->options.max_manifest_bytes};
    auto response = impl_->send(request);
    if (!response) return fail(response.error());
    if (response->status != 200) {
      return fail(registry_error("listing tags of " + std::string(repo), *response));
    }
    const auto doc = nlohmann::json::parse(response->body, nullptr, false);
    if (!doc.is_object()) {
      return fail(Error::internal("listing tags of " + std::string(repo) + ": invalid JSON"));
    }
    if (doc.contains("tags") && doc["tags"].is_array()) {
      for (const auto& t : doc["tags"]) {
        if (t.is_string()) tags.push_back(t.get<std::string>());
      }
    }
    // Link: </v2/<repo>/tags/list?n=1000&last=x>; rel="next"
    const std::string link = response->header("link");
    const auto open = link.find('<');
    const auto close = link.find('>');
    next = (open != std::string::npos && close > open && link.find("next") != std::string::npos)
               ? impl_->resolve(link.substr(open + 1, close - open - 1))
               : std::string();
  }
  return tags;
}

}  // namespace orsa::oci
