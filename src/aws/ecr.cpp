#include "aws/ecr.hpp"

#include <algorithm>
#include <cmath>

#include "core/random.hpp"

namespace orsa::aws {
namespace {

constexpr std::size_t kMaxPages = 1000;  // 1000 images a page: a million images at most

// From ECR's model (botocore's ecr/2015-09-21).
constexpr ServiceProtocol kEcr{.signing_name = "ecr",
                               .target_prefix = "AmazonEC2ContainerRegistry_V20150921",
                               .json_version = "1.1",
                               .endpoint_prefix = "api.ecr"};

EcrRepository repository_of(const Json& r) {
  return {.name = r.value("repositoryName", ""),
          .arn = r.value("repositoryArn", ""),
          .uri = r.value("repositoryUri", ""),
          .registry_id = r.value("registryId", "")};
}

std::optional<std::int64_t> epoch_seconds(const Json& doc, const char* key) {
  if (!doc.contains(key) || !doc[key].is_number()) return std::nullopt;
  return static_cast<std::int64_t>(std::floor(doc[key].get<double>()));
}

Result<void> check_name(std::string_view name) {
  if (!EcrClient::valid_repository_name(name)) {
    return fail(Error::invalid_argument("not an ECR repository name: " + std::string(name)));
  }
  return {};
}

}  // namespace

EcrClient::EcrClient(JsonClientOptions options) : client_(for_service(std::move(options), kEcr)) {}

bool EcrClient::valid_repository_name(std::string_view name) {
  if (name.size() < 2 || name.size() > 256) return false;
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
           c == '/';
  };
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return std::ranges::all_of(name, allowed) && alnum(name.front()) && alnum(name.back()) &&
         name.find("//") == std::string_view::npos;
}

Result<EcrRepository> EcrClient::ensure_repository(std::string_view name,
                                                   const RepositoryOptions& options) {
  if (auto ok = check_name(name); !ok) return fail(ok.error());
  const Json input = {{"repositoryName", name},
                      {"imageTagMutability", options.immutable_tags ? "IMMUTABLE" : "MUTABLE"},
                      {"imageScanningConfiguration", {{"scanOnPush", options.scan_on_push}}}};
  auto created = client_.call("CreateRepository", input);
  if (created) return repository_of((*created)["repository"]);
  if (created.error().code != ErrorCode::kConflict) return fail(created.error());
  return find_repository(name);
}

Result<EcrRepository> EcrClient::find_repository(std::string_view name) const {
  if (auto ok = check_name(name); !ok) return fail(ok.error());
  auto found = client_.call("DescribeRepositories", {{"repositoryNames", Json::array({name})}});
  if (!found) return fail(found.error());
  const Json& list = (*found)["repositories"];
  if (!list.is_array() || list.empty()) {
    return fail(Error::not_found("no ECR repository " + std::string(name)));
  }
  return repository_of(list.front());
}

Result<void> EcrClient::delete_repository(std::string_view name, bool force) {
  if (auto ok = check_name(name); !ok) return fail(ok.error());
  auto deleted = client_.call("DeleteRepository", {{"repositoryName", name}, {"force", force}});
  if (!deleted) return fail(deleted.error());
  return {};
}

Result<EcrLogin> EcrClient::login() const {
  auto answer = client_.call("GetAuthorizationToken", Json::object());
  if (!answer) return fail(answer.error());
  const Json& data = (*answer)["authorizationData"];
  if (!data.is_array() || data.empty()) {
    return fail(Error::unavailable("ecr GetAuthorizationToken: no authorization data"));
  }
  const std::string decoded =
      base64_decode(data.front().value("authorizationToken", "")).value_or("");
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) {
    return fail(Error::unavailable("ecr GetAuthorizationToken: a token that is not user:password"));
  }
  return EcrLogin{.username = decoded.substr(0, colon),
                  .password = decoded.substr(colon + 1),
                  .endpoint = data.front().value("proxyEndpoint", ""),
                  .expires_at = epoch_seconds(data.front(), "expiresAt").value_or(0)};
}

Result<std::vector<EcrImage>> EcrClient::images(std::string_view repository) const {
  if (auto ok = check_name(repository); !ok) return fail(ok.error());
  std::vector<EcrImage> out;
  std::string next;
  for (std::size_t page = 0; page < kMaxPages; ++page) {
    Json input = {{"repositoryName", repository}, {"maxResults", 1000}};
    if (!next.empty()) input["nextToken"] = next;
    auto answer = client_.call("DescribeImages", input);
    if (!answer) return fail(answer.error());
    for (const Json& detail : (*answer)["imageDetails"]) {
      EcrImage image{.digest = detail.value("imageDigest", ""),
                     .size_bytes = detail.value("imageSizeInBytes", std::int64_t{0}),
                     .pushed_at = epoch_seconds(detail, "imagePushedAt")};
      if (detail.contains("imageTags")) {
        for (const Json& tag : detail["imageTags"]) image.tags.push_back(tag.get<std::string>());
      }
      out.push_back(std::move(image));
    }
    next = answer->value("nextToken", "");
    if (next.empty()) return out;
  }
  return fail(
      Error::too_large("ecr DescribeImages: more than " + std::to_string(kMaxPages) + " pages"));
}

Result<void> EcrClient::delete_images(std::string_view repository,
                                      const std::vector<std::string>& digests) {
  if (auto ok = check_name(repository); !ok) return fail(ok.error());
  // BatchDeleteImage takes at most 100 image ids a call.
  constexpr std::size_t kBatch = 100;
  for (std::size_t start = 0; start < digests.size(); start += kBatch) {
    Json ids = Json::array();
    for (std::size_t i = start; i < std::min(digests.size(), start + kBatch); ++i) {
      ids.push_back({{"imageDigest", digests[i]}});
    }
    auto answer =
        client_.call("BatchDeleteImage", {{"repositoryName", repository}, {"imageIds", ids}});
    if (!answer) return fail(answer.error());
    const Json& failures = (*answer)["failures"];
    // An image already gone is what the caller wanted.
    for (const Json& f : failures.is_array() ? failures : Json::array()) {
      if (f.value("failureCode", "") == "ImageNotFound") continue;
      return fail(Error::unavailable("ecr BatchDeleteImage: " + f.value("failureCode", "") + ": " +
                                     f.value("failureReason", "")));
    }
  }
  return {};
}

}  // namespace orsa::aws
