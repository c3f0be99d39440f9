#include "store/models.hpp"

namespace orsa::store {

std::string_view build_status_name(BuildStatus status) {
  switch (status) {
    case BuildStatus::kQueued:
      return "queued";
    case BuildStatus::kRunning:
      return "running";
    case BuildStatus::kSucceeded:
      return "succeeded";
    case BuildStatus::kFailed:
      return "failed";
    case BuildStatus::kCanceled:
      return "canceled";
  }
  return "failed";
}

std::optional<BuildStatus> parse_build_status(std::string_view name) {
  for (auto status : {BuildStatus::kQueued, BuildStatus::kRunning, BuildStatus::kSucceeded,
                      BuildStatus::kFailed, BuildStatus::kCanceled}) {
    if (build_status_name(status) == name) return status;
  }
  return std::nullopt;
}

bool is_final(BuildStatus status) {
  return status != BuildStatus::kQueued && status != BuildStatus::kRunning;
}

std::string_view deployment_status_name(DeploymentStatus status) {
  switch (status) {
    case DeploymentStatus::kPending:
      return "pending";
    case DeploymentStatus::kPulling:
      return "pulling";
    case DeploymentStatus::kStarting:
      return "starting";
    case DeploymentStatus::kHealthy:
      return "healthy";
    case DeploymentStatus::kPaused:
      return "paused";
    case DeploymentStatus::kFailed:
      return "failed";
    case DeploymentStatus::kStopped:
      return "stopped";
    case DeploymentStatus::kCrashloop:
      return "crashloop";
  }
  return "failed";
}

std::optional<DeploymentStatus> parse_deployment_status(std::string_view name) {
  for (auto status :
       {DeploymentStatus::kPending, DeploymentStatus::kPulling, DeploymentStatus::kStarting,
        DeploymentStatus::kHealthy, DeploymentStatus::kPaused, DeploymentStatus::kFailed,
        DeploymentStatus::kStopped, DeploymentStatus::kCrashloop}) {
    if (deployment_status_name(status) == name) return status;
  }
  return std::nullopt;
}

std::string_view visibility_name(Visibility visibility) {
  return visibility == Visibility::kPublic ? "public" : "private";
}

std::optional<Visibility> parse_visibility(std::string_view name) {
  if (name == "public") return Visibility::kPublic;
  if (name == "private") return Visibility::kPrivate;
  return std::nullopt;
}

}  // namespace orsa::store
