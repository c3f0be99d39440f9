#include "answers.hpp"

#include <algorithm>
#include <iterator>
#include <tuple>

#include "core/time.hpp"
#include "runtime/kubernetes/objects.hpp"

namespace orsa::runtime::kubernetes {
namespace {

// Reads that never throw, whatever the document holds: a member of another
// type than asked reads as absent.
std::int32_t int_at(const Json& doc, const Json::json_pointer& at, std::int32_t otherwise) {
  if (!doc.contains(at)) return otherwise;
  const Json& value = doc.at(at);
  if (!value.is_number_integer()) return otherwise;
  const auto wide = value.get<std::int64_t>();
  if (wide < INT32_MIN || wide > INT32_MAX) return otherwise;
  return static_cast<std::int32_t>(wide);
}

bool true_at(const Json& doc, const Json::json_pointer& at) {
  return doc.contains(at) && doc.at(at).is_boolean() && doc.at(at).get<bool>();
}

const Json& member(const Json& doc, const char* key) {
  static const Json kAbsent;
  if (!doc.is_object()) return kAbsent;
  const auto it = doc.find(key);
  return it == doc.end() ? kAbsent : *it;
}

bool pod_ready(const Json& pod) {
  if (member(member(pod, "metadata"), "deletionTimestamp").is_string()) return false;
  const Json& conditions = member(member(pod, "status"), "conditions");
  if (!conditions.is_array()) return false;
  return std::ranges::any_of(conditions, [](const Json& c) {
    return text_at(c, Json::json_pointer("/type")) == "Ready" &&
           text_at(c, Json::json_pointer("/status")) == "True";
  });
}

// Why a pod's container is not running, from its status ("" when it is
// starting normally), with the exit code and OOM kill of its last run.
struct Trouble {
  std::string reason;
  int exit_code = 0;
  bool oom_killed = false;
};

Trouble trouble_of(const Json& pod) {
  static constexpr std::string_view kFailing[] = {
      "CrashLoopBackOff",           "ErrImagePull",     "ImagePullBackOff", "CreateContainerError",
      "CreateContainerConfigError", "InvalidImageName", "RunContainerError"};
  Trouble t;
  const Json& statuses = member(member(pod, "status"), "containerStatuses");
  if (!statuses.is_array()) return t;
  for (const Json& status : statuses) {
    const std::string waiting = text_at(status, Json::json_pointer("/state/waiting/reason"));
    if (std::ranges::find(kFailing, waiting) != std::end(kFailing)) t.reason = waiting;
    const Json::json_pointer last("/lastState/terminated");
    if (status.contains(last)) {
      t.exit_code = int_at(status, last / "exitCode", 0);
      t.oom_killed = text_at(status, last / "reason") == "OOMKilled";
      if (t.reason.empty() && int_at(status, Json::json_pointer("/restartCount"), 0) > 0 &&
          !true_at(status, Json::json_pointer("/ready"))) {
        t.reason = "restarted";
      }
    }
  }
  return t;
}

}  // namespace

std::string text_at(const Json& doc, const Json::json_pointer& at) {
  return doc.contains(at) && doc.at(at).is_string() ? doc.at(at).get<std::string>() : "";
}

std::map<std::string, std::string> labels_of(const Json& object) {
  const Json& meta = member(object, "metadata");
  std::map<std::string, std::string> out;
  for (const char* key : {"annotations", "labels"}) {
    const Json& pairs = member(meta, key);
    if (!pairs.is_object()) continue;
    for (const auto& [k, v] : pairs.items()) {
      if (v.is_string()) out.insert_or_assign(k, v.get<std::string>());
    }
  }
  return out;
}

ContainerInfo info_of(const Json& deployment, const Json& pods) {
  ContainerInfo info;
  info.id = text_at(deployment, Json::json_pointer("/metadata/name"));
  info.labels = labels_of(deployment);
  info.name = info.id;
  const Json::json_pointer container("/spec/template/spec/containers/0");
  info.image = text_at(deployment, container / "image");
  const std::int32_t port = int_at(deployment, container / "ports" / 0 / "containerPort", 8000);
  const auto valid_port = static_cast<std::uint16_t>(port > 0 && port <= 65535 ? port : 8000);
  if (const auto it = info.labels.find(kLabelNetwork); it != info.labels.end()) {
    info.network = it->second;
  }
  Trouble trouble;
  for (const Json& pod : pods.is_array() ? pods : Json::array()) {
    const std::string ip = text_at(pod, Json::json_pointer("/status/podIP"));
    if (pod_ready(pod) && !ip.empty()) {
      info.endpoints.push_back({ip, valid_port});
    } else if (auto t = trouble_of(pod); !t.reason.empty()) {
      trouble = t;
    }
    if (const auto started = parse_rfc3339(text_at(pod, Json::json_pointer("/status/startTime")));
        started && (!info.started_at || *started < *info.started_at)) {
      info.started_at = started;
    }
  }
  std::ranges::sort(info.endpoints, {}, [](const Endpoint& e) { return std::tie(e.host, e.port); });
  if (!info.endpoints.empty()) {
    info.state = ContainerState::kRunning;
    info.ip_address = info.endpoints.front().host;
  } else if (int_at(deployment, Json::json_pointer("/spec/replicas"), 1) == 0) {
    info.state = ContainerState::kExited;
  } else if (!trouble.reason.empty()) {
    info.state = ContainerState::kRestarting;
    info.exit_code = trouble.exit_code;
    info.oom_killed = trouble.oom_killed;
  } else {
    info.state = ContainerState::kCreated;
  }
  return info;
}

JobState job_state_of(const Json& job, const Json& pods) {
  JobState state;
  const Json& conditions = member(member(job, "status"), "conditions");
  for (const Json& c : conditions.is_array() ? conditions : Json::array()) {
    const std::string type = text_at(c, Json::json_pointer("/type"));
    if ((type != "Complete" && type != "Failed") ||
        text_at(c, Json::json_pointer("/status")) != "True") {
      continue;
    }
    state.finished = true;
    state.deadline_exceeded =
        type == "Failed" && text_at(c, Json::json_pointer("/reason")) == "DeadlineExceeded";
  }
  state.started_at = parse_rfc3339(text_at(job, Json::json_pointer("/status/startTime")));
  state.finished_at = parse_rfc3339(text_at(job, Json::json_pointer("/status/completionTime")));
  for (const Json& pod : pods.is_array() ? pods : Json::array()) {
    const Json& statuses = member(member(pod, "status"), "containerStatuses");
    for (const Json& status : statuses.is_array() ? statuses : Json::array()) {
      if (status.contains(Json::json_pointer("/state/running"))) state.pod_started = true;
      const Json::json_pointer ended("/state/terminated");
      if (status.contains(ended)) {
        state.pod_started = true;
        state.exit_known = true;
        state.exit_code = int_at(status, ended / "exitCode", 0);
        state.oom_killed = text_at(status, ended / "reason") == "OOMKilled";
        if (const auto at = parse_rfc3339(text_at(status, ended / "finishedAt"))) {
          state.finished_at = state.finished_at ? std::max(*state.finished_at, *at) : *at;
        }
      }
    }
    if (auto t = trouble_of(pod); !t.reason.empty()) state.failure = t.reason;
  }
  return state;
}

ContainerInfo job_info_of(const Json& job) {
  ContainerInfo info;
  info.id = text_at(job, Json::json_pointer("/metadata/name"));
  info.name = info.id;
  info.labels = labels_of(job);
  info.image = text_at(job, Json::json_pointer("/spec/template/spec/containers/0/image"));
  const JobState state = job_state_of(job, Json::array());
  info.state = state.finished ? ContainerState::kExited : ContainerState::kRunning;
  info.started_at = state.started_at;
  info.finished_at = state.finished_at;
  return info;
}

std::optional<WatchEvent> parse_watch_event(std::string_view line) {
  const Json event = Json::parse(line, nullptr, false);
  if (!event.is_object()) return std::nullopt;
  const Json& object = member(event, "object");
  if (!object.is_object()) return std::nullopt;
  return WatchEvent{
      .type = text_at(event, Json::json_pointer("/type")),
      .name = text_at(object, Json::json_pointer("/metadata/name")),
      .resource_version = text_at(object, Json::json_pointer("/metadata/resourceVersion")),
      .labels = labels_of(object),
      .wanted = int_at(object, Json::json_pointer("/spec/replicas"), 1),
      .ready = int_at(object, Json::json_pointer("/status/readyReplicas"), 0)};
}

}  // namespace orsa::runtime::kubernetes
