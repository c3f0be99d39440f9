#pragma once

#include <chrono>

#include "http/client.hpp"
#include "services/federated_login.hpp"

namespace orsa::deployer {

/// services::ProviderHttp over http::Client: 10 s per call, documents up to
/// auth::oidc::kMaxDocumentBytes, JSON expected, a User-Agent sent (GitHub's
/// API refuses requests without one). A non-2xx answer is an
/// error naming the status only (a provider's body may echo the secret).
class CurlProviderHttp final : public services::ProviderHttp {
 public:
  CurlProviderHttp() : client_(std::chrono::seconds(10), auth::oidc::kMaxDocumentBytes) {}

  Result<std::string> get(const std::string& url) override;
  Result<std::string> get_authorized(const std::string& url, const std::string& token) override;
  Result<std::string> post_form(
      const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& fields) override;

 private:
  http::Client client_;
};

}  // namespace orsa::deployer
