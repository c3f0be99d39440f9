#include "aws/credentials.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <ranges>
#include <sstream>

#include "core/clock.hpp"
#include "core/json.hpp"
#include "core/strings.hpp"
#include "core/time.hpp"
#include "libcurl/easy.hpp"

namespace orsa::aws {
namespace {

using Section = std::map<std::string, std::string, std::less<>>;
using Ini = std::map<std::string, Section, std::less<>>;

// Shared config files are small; anything larger is not one.
constexpr std::uintmax_t kMaxFileBytes = 1024 * 1024;

// The INI dialect of ~/.aws/credentials and ~/.aws/config: [section],
// key = value, '#' and ';' comments. Nested (indented) sub-keys of the
// config file (s3 = …) are skipped: ORSA reads none of them.
Ini parse_ini(std::string_view text) {
  Ini ini;
  Section* current = nullptr;
  bool in_nested = false;
  for (const auto part : std::views::split(text, '\n')) {
    const std::string_view raw(part.begin(), part.end());
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      current = &ini[std::string(trim(line.substr(1, line.size() - 2)))];
      in_nested = false;
      continue;
    }
    if (current == nullptr || (indented && in_nested)) continue;
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string key(trim(line.substr(0, equals)));
    const std::string value(trim(line.substr(equals + 1)));
    in_nested = value.empty();  // "s3 =" opens indented sub-keys
    if (!in_nested) (*current)[key] = value;
  }
  return ini;
}

Result<std::optional<Ini>> read_ini(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return std::optional<Ini>();  // no such file: the next source is asked
  if (size > kMaxFileBytes) {
    return fail(Error::too_large(path.string() + " is larger than 1 MiB"));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return std::optional<Ini>(parse_ini(text.str()));
}

std::filesystem::path file_of(const EnvLookup& env, std::string_view variable,
                              std::string_view default_name) {
  if (auto set = env(variable); set && !set->empty()) return *set;
  const auto home = env("HOME");
  return std::filesystem::path(home.value_or("")) / ".aws" / default_name;
}

std::string profile_name(const EnvLookup& env) {
  auto name = env("AWS_PROFILE");
  return name && !name->empty() ? *name : "default";
}

const Section* find_section(const std::optional<Ini>& ini, const std::string& name) {
  if (!ini) return nullptr;
  const auto it = ini->find(name);
  return it == ini->end() ? nullptr : &it->second;
}

std::string value_of(const Section& section, std::string_view key) {
  const auto it = section.find(key);
  return it == section.end() ? std::string() : it->second;
}

Result<Credentials> keys_of(const Section& section, const std::string& source) {
  for (const char* unsupported : {"credential_process", "sso_start_url", "sso_session", "role_arn",
                                  "web_identity_token_file"}) {
    if (section.contains(std::string_view(unsupported))) {
      return fail(Error::invalid_argument(source + " uses " + unsupported +
                                          ", which ORSA does not follow; give it keys"));
    }
  }
  Credentials c{.access_key_id = value_of(section, "aws_access_key_id"),
                .secret_access_key = value_of(section, "aws_secret_access_key"),
                .session_token = value_of(section, "aws_session_token"),
                .source = source};
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return fail(Error::not_found(source + " has no aws_access_key_id and aws_secret_access_key"));
  }
  return c;
}

// Answers of the metadata endpoints are a few hundred bytes.
constexpr std::size_t kMaxMetadataBytes = 64 * 1024;

struct Fetched {
  long status = 0;
  std::string body;
};

std::size_t on_metadata(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (size * count > kMaxMetadataBytes - body->size()) return 0;
  body->append(data, size * count);
  return size * count;
}

// One request to a metadata endpoint (link-local or loopback: no proxy).
Result<Fetched> fetch(const char* method, const std::string& url,
                      const std::vector<std::string>& header_lines,
                      std::chrono::milliseconds timeout) {
  auto curl = libcurl::EasyHandle::create();
  if (!curl) return fail(curl.error());
  CURL* h = curl->get();
  libcurl::HeaderList headers;
  for (const auto& line : header_lines) headers.append(line);
  Fetched out;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_metadata);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &out.body);
  if (const CURLcode rc = curl_easy_perform(h); rc != CURLE_OK) {
    return fail(Error::unavailable(std::string("credentials endpoint: ") + curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

// {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}: what both the
// ECS and the EC2 endpoints answer.
Result<Credentials> parse_temporary(const std::string& body, const std::string& source) {
  auto doc = Json::parse(body, nullptr, false);
  if (!doc.is_object()) return fail(Error::unavailable(source + " answered no JSON"));
  Credentials c{.access_key_id = doc.value("AccessKeyId", ""),
                .secret_access_key = doc.value("SecretAccessKey", ""),
                .session_token = doc.value("Token", ""),
                .source = source};
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return fail(Error::unavailable(source + " answered no keys"));
  }
  if (auto expires = parse_rfc3339(doc.value("Expiration", "")); expires) c.expires_at = expires;
  return c;
}

// A full URI is trusted only where it cannot leave the machine or the task.
bool allowed_full_uri(std::string_view uri) {
  if (uri.starts_with("https://")) return true;
  for (std::string_view host : {"http://127.", "http://localhost:", "http://localhost/",
                                "http://[::1]", "http://169.254.170.2:", "http://169.254.170.2/",
                                "http://169.254.170.23", "http://[fd00:ec2::23]"}) {
    if (uri.starts_with(host)) return true;
  }
  return false;
}

}  // namespace

Result<Credentials> container_credentials(const EnvLookup& env, std::chrono::milliseconds timeout) {
  std::string url;
  if (auto relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
      relative && !relative->empty()) {
    url = "http://169.254.170.2" + *relative;
  } else if (auto full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI"); full && !full->empty()) {
    if (!allowed_full_uri(*full)) {
      return fail(Error::invalid_argument(
          "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, loopback or the ECS address"));
    }
    url = *full;
  } else {
    return fail(Error::not_found("no ECS credentials endpoint"));
  }
  std::vector<std::string> headers;
  if (auto token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN"); token && !token->empty()) {
    headers.push_back("Authorization: " + *token);
  }
  auto answer = fetch("GET", url, headers, timeout);
  if (!answer) return fail(answer.error());
  if (answer->status != 200) {
    return fail(Error::unavailable("the ECS credentials endpoint answered HTTP " +
                                   std::to_string(answer->status)));
  }
  return parse_temporary(answer->body, "ECS task role");
}

Result<Credentials> instance_credentials(const EnvLookup& env, std::chrono::milliseconds timeout) {
  std::string base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
  while (base.ends_with('/')) base.pop_back();
  // IMDSv2: a session token first; the role and its keys only with it.
  auto token = fetch("PUT", base + "/latest/api/token",
                     {"X-aws-ec2-metadata-token-ttl-seconds: 300"}, timeout);
  if (!token)
    return fail(Error::not_found("no instance metadata service: " + token.error().message));
  if (token->status != 200) {
    return fail(Error::not_found("the instance metadata service gave no token (HTTP " +
                                 std::to_string(token->status) + ")"));
  }
  const std::vector<std::string> auth = {"X-aws-ec2-metadata-token: " + token->body};
  const std::string roles_url = base + "/latest/meta-data/iam/security-credentials/";
  auto roles = fetch("GET", roles_url, auth, timeout);
  if (!roles) return fail(roles.error());
  if (roles->status == 404) return fail(Error::not_found("no instance role is attached"));
  const std::string role(trim(roles->body.substr(0, roles->body.find('\n'))));
  if (roles->status != 200 || role.empty() || role.find('/') != std::string::npos) {
    return fail(Error::unavailable("the instance metadata service named no role"));
  }
  auto keys = fetch("GET", roles_url + role, auth, timeout);
  if (!keys) return fail(keys.error());
  if (keys->status != 200) {
    return fail(Error::unavailable("the instance role's credentials: HTTP " +
                                   std::to_string(keys->status)));
  }
  return parse_temporary(keys->body, "instance role " + role);
}

CredentialChain::CredentialChain(EnvLookup env, std::chrono::milliseconds timeout)
    : env_(std::move(env)), timeout_(timeout) {}

Result<Credentials> CredentialChain::resolve() const {
  using Source = Result<Credentials> (*)(const EnvLookup&, std::chrono::milliseconds);
  static constexpr Source kSources[] = {
      [](const EnvLookup& env, std::chrono::milliseconds) { return environment_credentials(env); },
      [](const EnvLookup& env, std::chrono::milliseconds) { return profile_credentials(env); },
      container_credentials, instance_credentials};
  for (const Source source : kSources) {
    auto found = source(env_, timeout_);
    if (found || found.error().code != ErrorCode::kNotFound) return found;
  }
  return fail(Error::not_found(
      "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or run "
      "with a task or instance role"));
}

Result<Credentials> CredentialChain::get() {
  constexpr std::int64_t kRefreshMargin = 300;
  std::lock_guard lock(mu_);
  if (cached_ &&
      (!cached_->expires_at || *cached_->expires_at - kRefreshMargin > SystemClock().now_unix())) {
    return *cached_;
  }
  auto fresh = resolve();
  if (!fresh) return fail(fresh.error());
  cached_ = *fresh;
  return fresh;
}

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const std::string key(name);
    const char* value = std::getenv(key.c_str());  // NOLINT(concurrency-mt-unsafe): read-only
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<Credentials> environment_credentials(const EnvLookup& env) {
  auto id = env("AWS_ACCESS_KEY_ID");
  auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (!id || !secret || id->empty() || secret->empty()) {
    return fail(Error::not_found("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"));
  }
  return Credentials{.access_key_id = *id,
                     .secret_access_key = *secret,
                     .session_token = env("AWS_SESSION_TOKEN").value_or(""),
                     .source = "environment"};
}

Result<Credentials> profile_credentials(const EnvLookup& env) {
  const std::string profile = profile_name(env);
  auto credentials = read_ini(file_of(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials"));
  if (!credentials) return fail(credentials.error());
  if (const Section* s = find_section(*credentials, profile)) {
    return keys_of(*s, "profile " + profile + " of the credentials file");
  }
  auto config = read_ini(file_of(env, "AWS_CONFIG_FILE", "config"));
  if (!config) return fail(config.error());
  const std::string section = profile == "default" ? profile : "profile " + profile;
  if (const Section* s = find_section(*config, section)) {
    return keys_of(*s, "profile " + profile + " of the config file");
  }
  return fail(Error::not_found("no AWS profile " + profile));
}

std::optional<std::string> configured_region(const EnvLookup& env) {
  for (const char* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto region = env(variable); region && !region->empty()) return region;
  }
  const std::string profile = profile_name(env);
  auto config = read_ini(file_of(env, "AWS_CONFIG_FILE", "config"));
  if (!config) return std::nullopt;
  const Section* s = find_section(*config, profile == "default" ? profile : "profile " + profile);
  if (s == nullptr) return std::nullopt;
  auto region = value_of(*s, "region");
  if (region.empty()) return std::nullopt;
  return region;
}

}  // namespace orsa::aws
