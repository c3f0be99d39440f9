#include "job_watch.hpp"

#include "answers.hpp"
#include "core/strings.hpp"

namespace orsa::runtime::kubernetes {
namespace {

// How long one watch lasts before it is made again (the server may end it sooner).
constexpr int kWatchSeconds = 290;
// Between a failed list or watch and the next attempt.
constexpr auto kRetryPause = std::chrono::seconds(1);

}  // namespace

JobWatch::JobWatch(const ApiClient& api, std::string jobs_path, std::string selector)
    : api_(api), jobs_path_(std::move(jobs_path)), selector_(std::move(selector)) {}

JobWatch::~JobWatch() {
  if (thread_.joinable()) {
    thread_.request_stop();
    retry_.notify_all();
    thread_.join();
  }
}

std::optional<Json> JobWatch::find(const std::string& name) {
  std::lock_guard lock(mu_);
  if (!thread_.joinable()) {
    thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
  }
  if (!current_) return std::nullopt;
  const auto it = jobs_.find(name);
  if (it == jobs_.end()) return std::nullopt;
  return it->second;
}

void JobWatch::set_current(bool current) {
  std::lock_guard lock(mu_);
  current_ = current;
}

bool JobWatch::relist() {
  auto reply = api_.request("GET", jobs_path_ + "?labelSelector=" + percent_encode(selector_));
  if (!reply || reply->status != 200) return false;
  Json doc = Json::parse(reply->body, nullptr, false);
  if (!doc.is_object()) return false;
  std::map<std::string, Json> jobs;
  const Json& items = doc.contains("items") ? doc["items"] : Json::array();
  for (const Json& job : items.is_array() ? items : Json::array()) {
    const std::string name = text_at(job, Json::json_pointer("/metadata/name"));
    if (!name.empty()) jobs.insert_or_assign(name, job);
  }
  std::lock_guard lock(mu_);
  jobs_ = std::move(jobs);
  version_ = text_at(doc, Json::json_pointer("/metadata/resourceVersion"));
  current_ = true;
  return true;
}

bool JobWatch::on_event(std::string_view line) {
  const Json event = Json::parse(line, nullptr, false);
  const std::string type = text_at(event, Json::json_pointer("/type"));
  if (type == "ERROR") return false;  // 410: the version is too old; listed again
  if (!event.is_object() || !event.contains("object") || !event["object"].is_object()) return true;
  const Json& object = event["object"];
  const std::string name = text_at(object, Json::json_pointer("/metadata/name"));
  std::lock_guard lock(mu_);
  if (const auto version = text_at(object, Json::json_pointer("/metadata/resourceVersion"));
      !version.empty()) {
    version_ = version;
  }
  if (name.empty()) return true;
  if (type == "DELETED") {
    jobs_.erase(name);
  } else if (type == "ADDED" || type == "MODIFIED") {
    jobs_.insert_or_assign(name, object);
  }
  return true;
}

void JobWatch::run(const std::stop_token& stop) {
  const auto pause = [&] {
    std::unique_lock lock(mu_);
    retry_.wait_for(lock, stop, kRetryPause, [] { return false; });
  };
  while (!stop.stop_requested()) {
    if (!relist()) {
      set_current(false);
      pause();
      continue;
    }
    std::string version;
    {
      std::lock_guard lock(mu_);
      version = version_;
    }
    bool expired = false;
    auto watched = api_.watch(
        jobs_path_ + "?watch=1&labelSelector=" + percent_encode(selector_) +
            "&timeoutSeconds=" + std::to_string(kWatchSeconds) + "&resourceVersion=" + version,
        [&](std::string_view line) {
          expired = !on_event(line);
          return !expired;
        },
        [&] { return !stop.stop_requested(); });
    if (!watched || expired) {
      // Until the list is made again, waiting runs ask the server.
      set_current(false);
      pause();
    }
  }
}

}  // namespace orsa::runtime::kubernetes
