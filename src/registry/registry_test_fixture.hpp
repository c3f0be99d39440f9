// The /v2 routes in-process, wired as the deployer wires them: the router
// over a TempDir-backed oci::BlobStore, services::Accounts over the in-memory
// store, and credentials resolved by auth::CredentialResolver. Requests go
// through each route's admission step and handler the way the server runs
// them (spooled bodies included), so a test sees the status, headers and
// body a client would.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "auth/credentials.hpp"
#include "auth/rate_limiter.hpp"
#include "auth/sessions.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"
#include "http/router.hpp"
#include "oci/blob_store.hpp"
#include "oci/digest.hpp"
#include "oci/registry.hpp"
#include "registry/registry_api.hpp"
#include "services/accounts.hpp"
#include "services/audit.hpp"
#include "services/credential_directory.hpp"
#include "store/memory_store.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::registry::testing {

inline constexpr std::string_view kPassword = "correct horse battery";
inline constexpr std::size_t kUploadsPerUser = 2;

/// Standard base64 with padding, as HTTP Basic sends it.
inline std::string base64(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 2]));
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (const std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

inline std::string basic(std::string_view user, std::string_view password) {
  return "Basic " + base64(std::string(user) + ":" + std::string(password));
}

/// The spec's error code of a registry error body ("" when it is not one).
inline std::string error_code(const http::Response& res) {
  const Json body = Json::parse(res.body, nullptr, false);
  if (!body.is_object() || !body.contains("errors") || body["errors"].empty()) return "";
  return body["errors"][0].value("code", "");
}

class RegistryApiTest : public ::testing::Test {
 protected:
  RegistryApiTest() { register_routes(router_, ctx_); }

  void SetUp() override {
    ASSERT_TRUE(accounts_.bootstrap_admin("root", "root@example.org", std::string(kPassword)));
    alice_id_ = registered("alice");
    bob_id_ = registered("bob");
    ASSERT_TRUE(store_.projects().create({alice_id_, "app", "python-flask"}));
    ASSERT_TRUE(store_.projects().create({bob_id_, "tool", "python-flask"}));
  }

  std::string registered(const std::string& name) {
    auto in = accounts_.register_user({name, name + "@example.org", std::string(kPassword)},
                                      services::Caller{"192.0.2.1"});
    EXPECT_TRUE(in) << in.error().message;
    return in ? in->user.id : std::string();
  }

  /// One request through the route's admission step and handler, as the
  /// server runs them: no route is the router's 404, a body over the route's
  /// limit its 413, and spooling routes get their body in a file.
  http::Response call(std::string method, const std::string& target,
                      const std::string& authorization = {}, std::string body = {},
                      http::Headers headers = {}) {
    http::Request req;
    req.method = std::move(method);
    req.target = target;
    req.path = target.substr(0, target.find('?'));
    if (const auto q = target.find('?'); q != std::string::npos)
      parse_query(target.substr(q + 1), req);
    req.headers = std::move(headers);
    if (!authorization.empty()) req.headers["Authorization"] = authorization;
    req.remote_ip = "192.0.2.7";
    const auto match = router_.match(req.method, req.path);
    if (match.handler == nullptr) {
      return http::text_response(match.method_not_allowed ? 405 : 404, "no route");
    }
    req.params = match.params;
    if (match.admit != nullptr) {
      if (auto refused = (*match.admit)(req)) return std::move(*refused);
    }
    if (body.size() > match.options->body_limit) return http::text_response(413, "too large");
    if (match.options->spool_body) {
      req.body_file = root_.path() / ("spool-" + std::to_string(++spooled_));
      std::ofstream(req.body_file, std::ios::binary) << body;
    } else {
      req.body = std::move(body);
    }
    http::Response res = (*match.handler)(req);
    if (!req.body_file.empty()) std::filesystem::remove(req.body_file);
    return res;
  }

  /// Upload sessions on disk, whoever holds them.
  std::size_t upload_sessions() const {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& entry :
         std::filesystem::directory_iterator(root_.path() / "registry" / "uploads", ec)) {
      if (entry.path().extension() != ".session") ++n;
    }
    return n;
  }

  std::string alice() const { return basic("alice", kPassword); }
  std::string bob() const { return basic("bob", kPassword); }
  std::string root() const { return basic("root", kPassword); }

  /// Pushes a blob in one request (POST ?digest=) as `who` (alice by default); its digest.
  std::string push_blob(std::string_view repo, const std::string& bytes,
                        const std::string& who = {}) {
    const std::string digest = oci::Digest::of(bytes).str();
    auto res = call("POST", "/v2/" + std::string(repo) + "/blobs/uploads/?digest=" + digest,
                    who.empty() ? alice() : who, bytes);
    EXPECT_EQ(res.status, 201) << res.body;
    return digest;
  }

  /// Pushes a manifest under `reference` (a tag or its digest); the answer.
  http::Response push_manifest(std::string_view repo, const std::string& reference,
                               const std::string& bytes, const std::string& who = {}) {
    return call("PUT", "/v2/" + std::string(repo) + "/manifests/" + reference,
                who.empty() ? alice() : who, bytes,
                {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}});
  }

  /// A small image manifest over two blobs pushed to `repo` as `who`.
  std::string image_manifest(std::string_view repo, std::string_view layer = "layer",
                             const std::string& who = {}) {
    const std::string config = R"({"architecture":"amd64","os":"linux"})";
    const Json doc = {
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
        {"config",
         {{"mediaType", "application/vnd.oci.image.config.v1+json"},
          {"digest", push_blob(repo, config, who)},
          {"size", config.size()}}},
        {"layers", Json::array({{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                                 {"digest", push_blob(repo, std::string(layer), who)},
                                 {"size", layer.size()}}})}};
    return doc.dump();
  }

  ManualClock clock_{1'700'000'000};
  store::MemoryStore store_{clock_};
  auth::SessionSigner signer_{std::string(32, 's'), std::chrono::hours(1), clock_};
  auth::PushTokenSigner push_{std::string(32, 'p'), clock_};
  auth::LoginRateLimiter limiter_{clock_, 100};
  services::Audit audit_{store_.audit(), clock_};
  services::Accounts accounts_{
      {store_.users(), store_.sessions(), store_.tokens(), store_.projects()},
      signer_,
      push_,
      limiter_,
      audit_,
      clock_,
      services::Registration::kOpen};
  services::StoreCredentialDirectory directory_{store_.users(), store_.tokens(), store_.sessions()};
  auth::CredentialResolver credentials_{
      directory_, signer_, push_, clock_,
      [this](std::string_view login, std::string_view password, std::string_view ip) {
        return accounts_.check_password(login, password, services::Caller{std::string(ip)});
      }};
  orsa::testing::TempDir root_{"orsa-registry-api"};
  std::unique_ptr<oci::BlobStore> blobs_ =
      oci::BlobStore::open(root_.path() / "registry",
                           {.max_open_uploads_per_user = kUploadsPerUser})
          .value();
  oci::Registry registry_{*blobs_};
  RegistryContext ctx_{credentials_, accounts_, registry_};
  http::Router router_;
  std::string alice_id_;
  std::string bob_id_;

 private:
  static void parse_query(const std::string& query, http::Request& req) {
    std::size_t at = 0;
    while (at <= query.size()) {
      const auto end = std::min(query.find('&', at), query.size());
      const std::string pair = query.substr(at, end - at);
      const auto eq = pair.find('=');
      if (!pair.empty()) {
        req.query[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
      }
      at = end + 1;
    }
  }

  int spooled_ = 0;
};

}  // namespace orsa::registry::testing
