#pragma once

// Amazon ECR's control plane, as ORSA uses it as an image store: one
// repository per project, short-lived push and pull credentials, images
// listed and deleted by digest. Pushes and pulls themselves go to the
// registry's OCI API with those credentials (oci's registry client).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/json_client.hpp"

namespace orsa::aws {

struct EcrRepository {
  std::string name;  // "alice/knapsack"
  std::string arn;
  std::string uri;  // "123456789012.dkr.ecr.us-east-1.amazonaws.com/alice/knapsack"
  std::string registry_id;
};

/// Basic credentials for the registry's OCI API ("AWS" and a token).
struct EcrLogin {
  std::string username;
  std::string password;  // a secret: never logged
  std::string endpoint;  // "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"
  std::int64_t expires_at = 0;
};

struct EcrImage {
  std::string digest;  // "sha256:…"
  std::vector<std::string> tags;
  std::int64_t size_bytes = 0;
  std::optional<std::int64_t> pushed_at;  // unix seconds
};

struct RepositoryOptions {
  bool scan_on_push = false;
  bool immutable_tags = true;  // a tag names one image forever, as ORSA's builds do
};

class EcrClient {
 public:
  /// `options.endpoint` names the region and URL; its signing name, target
  /// prefix and JSON version are ECR's.
  explicit EcrClient(JsonClientOptions options);

  /// Created, or the existing one (kConflict never escapes: a repository is
  /// made once per project and asked for on every push).
  Result<EcrRepository> ensure_repository(std::string_view name, const RepositoryOptions& options);
  Result<EcrRepository> find_repository(std::string_view name) const;
  /// Gone, with its images (`force`), or kNotFound.
  Result<void> delete_repository(std::string_view name, bool force);
  Result<EcrLogin> login() const;
  /// Every image of the repository (all pages).
  Result<std::vector<EcrImage>> images(std::string_view repository) const;
  /// Deletes by digest; the digests ECR could not delete are an error.
  Result<void> delete_images(std::string_view repository, const std::vector<std::string>& digests);

  /// ECR's repository names: 2-256 of [a-z0-9._/-], segments separated by '/'.
  static bool valid_repository_name(std::string_view name);

 private:
  JsonClient client_;
};

}  // namespace orsa::aws
