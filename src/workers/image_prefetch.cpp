#include "workers/image_prefetch.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <system_error>
#include <utility>

namespace orsa::workers {
namespace {

// How long the base may take to appear before its pull is given up; the
// first build pulls it then, as it would have without this.
constexpr auto kBaseWait = std::chrono::minutes(30);

// "orsa/base-python-or:latest" → repository and ":latest"; "@sha256:…" kept.
std::pair<std::string, std::string> split_reference(const std::string& image) {
  const auto at = image.find('@');
  if (at != std::string::npos) return {image.substr(0, at), image.substr(at)};
  const auto colon = image.rfind(':');
  const auto slash = image.rfind('/');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    return {image.substr(0, colon), image.substr(colon)};
  return {image, ":latest"};
}

}  // namespace

ImagePrefetch::ImagePrefetch(services::Accounts& accounts, ImagePrefetchOptions options)
    : accounts_(accounts), options_(std::move(options)) {}

ImagePrefetch::~ImagePrefetch() {
  stop();
}

void ImagePrefetch::start(runtime::Runtime& runtime, std::string registry_host) {
  std::size_t waiting = 0;
  {
    std::lock_guard lock(mu_);
    if (queue_ || stopping_) return;
    runtime_ = &runtime;
    registry_host_ = std::move(registry_host);
    queue_ = std::make_unique<WorkQueue>("image prefetch", 1);
    waiting = pending_.size();
  }
  if (!options_.base_image.empty()) {
    const auto give_up = std::chrono::steady_clock::now() + kBaseWait;
    queue_->post([this, give_up] { pull_base(give_up); });
  }
  for (std::size_t i = 0; i < waiting; ++i) queue_->post([this] { pull_next(); });
}

void ImagePrefetch::set_base_puller(auth::Principal puller) {
  std::lock_guard lock(mu_);
  options_.base_puller = std::move(puller);
}

void ImagePrefetch::stop() {
  std::unique_ptr<WorkQueue> queue;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    pending_.clear();
    queue = std::move(queue_);
  }
  if (queue) queue->stop();
}

void ImagePrefetch::prefetch(const store::Image& image) {
  const auto slash = image.repository.find('/');
  auth::Principal owner{.user_id = image.owner_id,
                        .username = image.repository.substr(0, slash),
                        .role = Role::kDeveloper};
  enqueue({image.repository, "@" + image.digest, std::move(owner)});
}

ImagePrefetch::Counts ImagePrefetch::counts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

void ImagePrefetch::enqueue(Request request) {
  std::lock_guard lock(mu_);
  if (stopping_) return;
  if (pending_.size() >= options_.max_pending) {
    pending_.pop_front();  // the newest image is the likeliest to be deployed
    ++counts_.dropped;
  }
  pending_.push_back(std::move(request));
  if (queue_) queue_->post([this] { pull_next(); });
}

void ImagePrefetch::pull_next() {
  Request next;
  {
    std::lock_guard lock(mu_);
    if (pending_.empty() || stopping_) return;  // pushed out, or stopping
    next = std::move(pending_.front());
    pending_.pop_front();
  }
  pull(next);
}

// Waits for the base a second at a time, queued again in between, so that
// images recorded meanwhile are not held up behind it.
void ImagePrefetch::pull_base(std::chrono::steady_clock::time_point give_up) {
  if (options_.base_gate != nullptr) {
    const auto state =
        options_.base_gate->wait(std::chrono::seconds(1), [this] { return !stopping(); });
    if (state == BaseGate::State::kBuilding && std::chrono::steady_clock::now() < give_up) {
      std::lock_guard lock(mu_);
      if (queue_ && !stopping_) queue_->post([this, give_up] { pull_base(give_up); });
      return;
    }
    if (state != BaseGate::State::kReady) return;
  }
  auto [repository, reference] = split_reference(options_.base_image);
  pull({std::move(repository), std::move(reference), options_.base_puller});
}

void ImagePrefetch::pull(const Request& request) {
  const std::string image = registry_host_ + "/" + request.repository + request.reference;
  std::error_code ec;
  const auto space = std::filesystem::space(options_.store_dir, ec);
  if (!ec && space.available < options_.min_free_bytes) {
    spdlog::info("prefetch: {} skipped, {} MiB free under {}", image, space.available >> 20,
                 options_.store_dir.string());
    std::lock_guard lock(mu_);
    ++counts_.skipped_for_disk;
    return;
  }
  auto token = accounts_.issue_pull_token(request.puller, request.repository);
  const auto began = std::chrono::steady_clock::now();
  auto pulled = token ? runtime_->pull(image, {registry_host_, request.puller.username, *token})
                      : Result<void>(fail(token.error()));
  std::lock_guard lock(mu_);
  if (!pulled) {
    ++counts_.failed;
    spdlog::warn("prefetch: {} not pulled ahead ({}); a deploy pulls it", image,
                 pulled.error().message);
    return;
  }
  ++counts_.pulled;
  spdlog::info("prefetch: {} in the runtime's store after {} ms", image,
               std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - began)
                   .count());
}

bool ImagePrefetch::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

}  // namespace orsa::workers
