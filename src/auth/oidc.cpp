#include "auth/oidc.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include <nlohmann/json.hpp>

#include "core/random.hpp"

namespace orsa::auth::oidc {

using Json = nlohmann::json;

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

Result<Json> parse_object(std::string_view body, std::string_view what) {
  if (body.size() > kMaxDocumentBytes)
    return fail(Error::too_large(std::string(what) + " too large"));
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object())
    return fail(Error::invalid_argument(std::string(what) + " is not a JSON object"));
  return doc;
}

std::string string_field(const Json& doc, const char* key) {
  const auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

// ---- base64url, PKCE, one-time values ----

Result<std::string> base64url_decode(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return fail(Error::invalid_argument("not base64url"));
  out.resize(len);
  return out;
}

std::string pkce_challenge(std::string_view code_verifier) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(code_verifier.data()),
                     code_verifier.size());
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

LoginSecrets new_login_secrets() {
  LoginSecrets s;
  s.state = base64url_encode(random_bytes(32));
  s.nonce = base64url_encode(random_bytes(32));
  s.code_verifier = base64url_encode(random_bytes(32));  // 43 chars: RFC 7636 minimum
  s.code_challenge = pkce_challenge(s.code_verifier);
  return s;
}

// ---- discovery ----

std::string discovery_url(std::string_view issuer) {
  std::string url(issuer);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/.well-known/openid-configuration";
}

bool is_secure_url(std::string_view url) {
  if (url.find_first_of("?# \r\n") != std::string_view::npos) return false;
  if (url.starts_with("https://")) return url.size() > 8;
  for (std::string_view local : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    if (url.starts_with(local)) {
      const auto rest = url.substr(local.size());
      if (rest.empty() || rest.front() == ':' || rest.front() == '/') return true;
    }
  }
  return false;
}

Result<ProviderMetadata> parse_discovery(std::string_view body, std::string_view expected_issuer) {
  auto doc = parse_object(body, "discovery document");
  if (!doc) return fail(doc.error());
  ProviderMetadata m{
      .issuer = string_field(*doc, "issuer"),
      .authorization_endpoint = string_field(*doc, "authorization_endpoint"),
      .token_endpoint = string_field(*doc, "token_endpoint"),
      .jwks_uri = string_field(*doc, "jwks_uri"),
      .userinfo_endpoint = string_field(*doc, "userinfo_endpoint"),
  };
  if (m.issuer != expected_issuer)
    return fail(Error::invalid_argument("discovery issuer '" + m.issuer +
                                        "' is not the configured issuer '" +
                                        std::string(expected_issuer) + "'"));
  for (const auto* field : {&m.authorization_endpoint, &m.token_endpoint, &m.jwks_uri}) {
    if (field->empty())
      return fail(Error::invalid_argument("discovery document lacks an endpoint of the code flow"));
    // A query is allowed here (some providers put the tenant in it).
    const std::string_view url = std::string_view(*field).substr(0, field->find('?'));
    if (!is_secure_url(url))
      return fail(
          Error::invalid_argument("discovery names an endpoint that is neither https nor "
                                  "on loopback: '" +
                                  field->substr(0, 200) + "'"));
  }
  return m;
}

// ---- key set ----

struct KeySet::Key {
  std::string alg;  // "RS256" or "ES256"
  PkeyPtr pkey;
};

namespace {

Result<PkeyPtr> build_pkey(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  const bool ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (!ok) return fail(Error::invalid_argument("unusable public key"));
  return PkeyPtr(pkey);
}

Result<PkeyPtr> rsa_key(const Json& jwk) {
  auto n = base64url_decode(string_field(jwk, "n"));
  auto e = base64url_decode(string_field(jwk, "e"));
  if (!n || !e || n->empty() || e->empty()) return fail(Error::invalid_argument("bad RSA key"));
  if (n->size() < 256) return fail(Error::invalid_argument("RSA key shorter than 2048 bits"));
  BIGNUM* bn_n =
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), int(n->size()), nullptr);
  BIGNUM* bn_e =
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), int(e->size()), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  Result<PkeyPtr> out = fail(Error::invalid_argument("bad RSA key"));
  if (bn_n && bn_e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1)
    out = build_pkey("RSA", bld);
  OSSL_PARAM_BLD_free(bld);
  BN_free(bn_n);
  BN_free(bn_e);
  return out;
}

Result<PkeyPtr> ec_p256_key(const Json& jwk) {
  if (string_field(jwk, "crv") != "P-256")
    return fail(Error::invalid_argument("EC curve not P-256"));
  auto x = base64url_decode(string_field(jwk, "x"));
  auto y = base64url_decode(string_field(jwk, "y"));
  if (!x || !y || x->size() != 32 || y->size() != 32)
    return fail(Error::invalid_argument("bad EC key"));
  const std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  Result<PkeyPtr> out = fail(Error::invalid_argument("bad EC key"));
  if (bld &&
      OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) ==
          1)
    out = build_pkey("EC", bld);
  OSSL_PARAM_BLD_free(bld);
  return out;
}

}  // namespace

KeySet::KeySet() = default;
KeySet::~KeySet() = default;
KeySet::KeySet(KeySet&&) noexcept = default;
KeySet& KeySet::operator=(KeySet&&) noexcept = default;

Result<KeySet> KeySet::parse(std::string_view body) {
  auto doc = parse_object(body, "JWKS");
  if (!doc) return fail(doc.error());
  const auto keys = doc->find("keys");
  if (keys == doc->end() || !keys->is_array())
    return fail(Error::invalid_argument("JWKS lacks keys"));
  KeySet set;
  for (const Json& jwk : *keys) {
    if (!jwk.is_object() || set.keys_.size() >= 64) continue;
    const std::string use = string_field(jwk, "use");
    if (!use.empty() && use != "sig") continue;
    const std::string kty = string_field(jwk, "kty");
    const std::string alg = string_field(jwk, "alg");
    auto key = std::make_shared<Key>();
    if (kty == "RSA" && (alg.empty() || alg == "RS256")) {
      auto pkey = rsa_key(jwk);
      if (!pkey) continue;
      key->alg = "RS256";
      key->pkey = std::move(*pkey);
    } else if (kty == "EC" && (alg.empty() || alg == "ES256")) {
      auto pkey = ec_p256_key(jwk);
      if (!pkey) continue;
      key->alg = "ES256";
      key->pkey = std::move(*pkey);
    } else {
      continue;
    }
    set.keys_.emplace(string_field(jwk, "kid"), std::move(key));
  }
  if (set.keys_.empty()) return fail(Error::invalid_argument("JWKS has no usable signing key"));
  return set;
}

bool KeySet::contains(std::string_view kid) const {
  return keys_.contains(kid);
}
std::size_t KeySet::size() const {
  return keys_.size();
}
const KeySet::Key* KeySet::find(std::string_view kid) const {
  const auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : it->second.get();
}

// ---- signature ----

namespace {

/// JWS ES256 signatures are r||s (32 bytes each); OpenSSL wants DER.
Result<std::string> es256_to_der(std::string_view raw) {
  if (raw.size() != 64) return fail(Error::unauthenticated("bad ES256 signature length"));
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (!r || !s || !sig || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return fail(Error::internal("ECDSA signature"));
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return fail(Error::internal("ECDSA signature"));
  std::string out(reinterpret_cast<char*>(der), std::size_t(len));
  OPENSSL_free(der);
  return out;
}

bool signature_valid(const KeySet::Key& key, std::string_view signing_input,
                     std::string_view signature) {
  std::string sig(signature);
  if (key.alg == "ES256") {
    auto der = es256_to_der(signature);
    if (!der) return false;
    sig = std::move(*der);
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.pkey.get()) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

Error refused(std::string_view why) {
  return Error::unauthenticated("ID token refused: " + std::string(why));
}

std::optional<std::int64_t> int_claim(const Json& claims, const char* key) {
  const auto it = claims.find(key);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  return it->get<std::int64_t>();
}

Result<void> check_audience(const Json& claims, std::string_view client_id) {
  const auto aud = claims.find("aud");
  if (aud == claims.end()) return fail(refused("no audience"));
  if (aud->is_string()) {
    if (*aud != client_id) return fail(refused("audience is not this client"));
    return {};
  }
  if (!aud->is_array()) return fail(refused("bad audience"));
  bool found = false;
  for (const Json& a : *aud) found = found || (a.is_string() && a == client_id);
  if (!found) return fail(refused("audience is not this client"));
  if (aud->size() > 1 && string_field(claims, "azp") != client_id)
    return fail(refused("authorized party is not this client"));
  return {};
}

Result<void> check_claims(const Json& claims, const TokenExpectations& expect) {
  if (string_field(claims, "iss") != expect.issuer) return fail(refused("wrong issuer"));
  if (auto aud = check_audience(claims, expect.client_id); !aud) return aud;
  if (string_field(claims, "sub").empty()) return fail(refused("no subject"));
  const auto exp = int_claim(claims, "exp");
  const auto iat = int_claim(claims, "iat");
  if (!exp || !iat) return fail(refused("no exp or iat"));
  if (*exp + kClockSkewSeconds < expect.now) return fail(refused("expired"));
  if (*iat - kClockSkewSeconds > expect.now) return fail(refused("issued in the future"));
  const std::string nonce = string_field(claims, "nonce");
  if (expect.nonce.empty() || nonce.empty() || !constant_time_equal(nonce, expect.nonce))
    return fail(refused("nonce missing or not the one issued"));
  return {};
}

}  // namespace

Result<IdTokenClaims> verify_id_token(std::string_view token, const KeySet& keys,
                                      const TokenExpectations& expect) {
  if (token.size() > kMaxIdTokenBytes) return fail(refused("too large"));
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return fail(refused("not a compact JWS"));
  auto header_text = base64url_decode(token.substr(0, dot1));
  auto payload_text = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature) return fail(refused("bad encoding"));
  const Json header = Json::parse(*header_text, nullptr, false);
  const Json claims = Json::parse(*payload_text, nullptr, false);
  if (!header.is_object() || !claims.is_object()) return fail(refused("bad JSON"));

  const std::string alg = string_field(header, "alg");
  if (alg != "RS256" && alg != "ES256")
    return fail(refused("algorithm '" + alg + "' not accepted"));
  const std::string kid = string_field(header, "kid");
  const KeySet::Key* key = keys.find(kid);
  if (!key) return fail(Error::not_found("ID token signed by unknown key '" + kid + "'"));
  if (key->alg != alg) return fail(refused("algorithm does not match the key"));
  if (!signature_valid(*key, token.substr(0, dot2), *signature))
    return fail(refused("bad signature"));
  if (auto ok = check_claims(claims, expect); !ok) return fail(ok.error());

  return IdTokenClaims{
      .issuer = string_field(claims, "iss"),
      .subject = string_field(claims, "sub"),
      .email = string_field(claims, "email"),
      .email_verified = claims.value("email_verified", false) == true,
      .preferred_username = string_field(claims, "preferred_username"),
      .name = string_field(claims, "name"),
      .expires_at = int_claim(claims, "exp").value_or(0),  // checked above
      .raw_json = claims.dump(),
  };
}

// ---- key set cache (rotation) ----

KeySetCache::KeySetCache(Fetch fetch, Clock clock, std::int64_t min_refetch_seconds)
    : fetch_(std::move(fetch)),
      clock_(std::move(clock)),
      min_refetch_seconds_(min_refetch_seconds) {}

int KeySetCache::fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

KeySetCache::Keys KeySetCache::current() const {
  std::lock_guard lock(mu_);
  return keys_;
}

Result<KeySetCache::Keys> KeySetCache::refresh() {
  {
    std::lock_guard lock(mu_);
    const std::int64_t now = clock_();
    if (keys_ && now - last_fetch_ < min_refetch_seconds_)
      return fail(Error::rate_limited("provider keys fetched moments ago", min_refetch_seconds_));
    last_fetch_ = now;
    ++fetches_;
  }
  // The fetch is a network call: sign-ins whose keys are known go on meanwhile.
  auto body = fetch_();
  if (!body) return fail(body.error());
  auto parsed = KeySet::parse(*body);
  if (!parsed) return fail(parsed.error());
  auto fresh = std::make_shared<const KeySet>(std::move(*parsed));
  std::lock_guard lock(mu_);
  keys_ = fresh;
  return fresh;
}

Result<IdTokenClaims> KeySetCache::verify(std::string_view token, const TokenExpectations& expect) {
  Keys keys = current();
  if (!keys) {
    auto fetched = refresh();
    if (!fetched) return fail(fetched.error());
    keys = std::move(*fetched);
  }
  auto claims = verify_id_token(token, *keys, expect);
  if (claims || claims.error().code != ErrorCode::kNotFound) return claims;
  // Unknown kid: the provider may have rotated its keys.
  auto fetched = refresh();
  if (!fetched) return fail(refused("signed by an unknown key"));
  claims = verify_id_token(token, **fetched, expect);
  if (!claims && claims.error().code == ErrorCode::kNotFound)
    return fail(refused("signed by an unknown key"));
  return claims;
}

}  // namespace orsa::auth::oidc
