#include "aws/sigv4.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "core/random.hpp"

namespace orsa::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  std::size_t length = 0;
  // NOLINTNEXTLINE(bugprone-suspicious-stringview-data-usage): sizes are passed
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
            out.size(), &length);
  return {reinterpret_cast<const char*>(out.data()), length};
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

// Leading and trailing spaces removed, inner runs of spaces made one.
std::string canonical_value(std::string_view value) {
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string canonical_query(const Params& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
  }
  std::ranges::sort(encoded);
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out.append(name).append("=").append(value);
  }
  return out;
}

// Sorted lower-case names with their canonical values; host included.
Params canonical_headers(const HttpRequest& request, const Params& extra) {
  Params headers;
  headers.reserve(request.headers.size() + extra.size() + 1);
  headers.emplace_back("host", request.host);
  for (const auto* list : {&request.headers, &extra}) {
    for (const auto& [name, value] : *list) {
      std::string key = lower(name);
      if (key == "host" || key == "authorization") continue;
      headers.emplace_back(std::move(key), canonical_value(value));
    }
  }
  std::ranges::stable_sort(headers, {}, &std::pair<std::string, std::string>::first);
  return headers;
}

std::string signed_header_names(const Params& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string amz_date(std::int64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 17> out{};
  std::strftime(out.data(), out.size(), "%Y%m%dT%H%M%SZ", &tm);
  return out.data();
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return hex_encode({reinterpret_cast<const char*>(digest.data()), length});
}

std::string canonical_request(const HttpRequest& request, const Params& signed_headers,
                              std::string_view payload_hash) {
  // Services other than S3 want each path segment encoded twice: once as
  // sent, once more in here.
  const std::string path = request.path.empty() ? "/" : request.path;
  std::string out = request.method + "\n" + uri_encode(uri_encode(path, true), true) + "\n" +
                    canonical_query(request.query) + "\n";
  for (const auto& [name, value] : signed_headers)
    out.append(name).append(":").append(value) += '\n';
  out.append("\n").append(signed_header_names(signed_headers)).append("\n").append(payload_hash);
  return out;
}

Params sign(const HttpRequest& request, const Credentials& credentials, const Scope& scope,
            std::int64_t unix_seconds) {
  const std::string when = amz_date(unix_seconds);
  const std::string day = when.substr(0, 8);
  Params added = {{"X-Amz-Date", when}};
  if (!credentials.session_token.empty()) {
    added.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  const Params headers = canonical_headers(request, added);
  const std::string credential_scope =
      day + "/" + scope.region + "/" + scope.service + "/aws4_request";
  const std::string string_to_sign =
      std::string(kAlgorithm) + "\n" + when + "\n" + credential_scope + "\n" +
      sha256_hex(canonical_request(request, headers, sha256_hex(request.body)));
  std::string key = hmac_sha256("AWS4" + credentials.secret_access_key, day);
  key = hmac_sha256(key, scope.region);
  key = hmac_sha256(key, scope.service);
  key = hmac_sha256(key, "aws4_request");
  added.emplace_back("Authorization",
                     std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                         credential_scope + ", SignedHeaders=" + signed_header_names(headers) +
                         ", Signature=" + hex_encode(hmac_sha256(key, string_to_sign)));
  return added;
}

}  // namespace orsa::aws
