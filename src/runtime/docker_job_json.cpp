#include "docker_job_json.hpp"

#include <nlohmann/json.hpp>

#include "docker_json.hpp"
#include "log_frames.hpp"

namespace orsa::runtime::docker {
namespace {

using Json = nlohmann::json;

std::optional<std::int64_t> unix_ms(const Json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  const auto at = parse_rfc3339(it->get<std::string>());
  // Docker writes "0001-01-01T00:00:00Z" for a time that has not happened.
  if (!at || at->seconds <= 0) return std::nullopt;
  return at->seconds * 1000 + at->nanos / 1'000'000;
}

Json bind(const std::filesystem::path& source, const char* target, bool read_only) {
  return {
      {"Type", "bind"}, {"Source", source.string()}, {"Target", target}, {"ReadOnly", read_only}};
}

}  // namespace

ContainerSpec job_container_spec(const JobSpec& spec) {
  ContainerSpec c;
  c.name = spec.name;
  c.image = spec.image;
  c.labels = spec.labels;
  c.labels[kLabelJob] = "true";
  c.env = spec.env;
  c.command = spec.command;
  c.network = spec.network;
  c.memory_bytes = spec.memory_bytes;
  c.cpus = spec.cpus;
  c.pids_limit = spec.pids_limit;
  c.open_files_limit = spec.open_files_limit;
  c.processes_limit = spec.processes_limit;
  c.log_max_bytes = spec.log_max_bytes;
  c.tmp_size_bytes = spec.tmp_size_bytes;
  c.user = spec.user;
  c.read_only_root = true;
  // The caller decides what an ended job means; the engine never reruns it.
  c.restart_policy = "no";
  return c;
}

std::string create_job_body(const JobSpec& spec, const JobMounts& mounts,
                            std::string_view userns_mode) {
  // The hardening of every container, in one place (create_body).
  Json body = Json::parse(create_body(job_container_spec(spec), userns_mode));
  body["HostConfig"]["Mounts"] = Json::array({
      bind(mounts.input, kJobInputPath, true),
      bind(mounts.options, kJobOptionsPath, true),
      bind(mounts.output, kJobOutputDir, false),
  });
  return body.dump();
}

Result<JobState> parse_job_state(std::string_view json) {
  const Json doc = Json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(Error::internal("container runtime sent malformed JSON for a job"));
  }
  JobState out;
  const Json state = doc.value("State", Json::object());
  if (state.is_object()) {
    const Json status = state.value("Status", Json());
    out.state = parse_state(status.is_string() ? status.get<std::string>() : std::string());
    const Json exit_code = state.value("ExitCode", Json());
    if (exit_code.is_number_integer()) out.exit_code = exit_code.get<int>();
    const Json oom = state.value("OOMKilled", Json());
    out.oom_killed = oom.is_boolean() && oom.get<bool>();
    out.started_at_ms = unix_ms(state, "StartedAt");
    out.finished_at_ms = unix_ms(state, "FinishedAt");
    // Podman stamps StartedAt once conmon reports the start, which a process
    // that exits at once can beat (FinishedAt 27 ms earlier was seen): the
    // process did start before it ended, so it ran for no measurable time.
    if (out.started_at_ms && out.finished_at_ms && *out.finished_at_ms < *out.started_at_ms) {
      out.started_at_ms = out.finished_at_ms;
    }
  }
  const Json labels = doc.value("Config", Json::object()).value("Labels", Json::object());
  const Json job = labels.is_object() ? labels.value(kLabelJob, Json()) : Json();
  out.is_job = job.is_string() && job.get<std::string>() == "true";
  const Json mount_list = doc.value("Mounts", Json::array());
  for (const Json& m : mount_list.is_array() ? mount_list : Json::array()) {
    if (!m.is_object()) continue;
    const Json target = m.value("Destination", Json());
    const Json source = m.value("Source", Json());
    if (target.is_string() && source.is_string() && target.get<std::string>() == kJobOutputDir) {
      out.output_dir = source.get<std::string>();
    }
  }
  return out;
}

std::optional<std::int64_t> parse_cpu_usage_ns(std::string_view json) {
  const Json doc = Json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  const Json cpu = doc.value("cpu_stats", Json::object());
  const Json usage = cpu.is_object() ? cpu.value("cpu_usage", Json::object()) : Json();
  const Json total = usage.is_object() ? usage.value("total_usage", Json()) : Json();
  if (!total.is_number_unsigned() && !total.is_number_integer()) return std::nullopt;
  const auto ns = total.get<std::int64_t>();
  if (ns <= 0) return std::nullopt;
  return ns;
}

std::optional<std::int64_t> parse_memory_usage(std::string_view json) {
  const Json doc = Json::parse(json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  const Json memory = doc.value("memory_stats", Json::object());
  const Json usage = memory.is_object() ? memory.value("usage", Json()) : Json();
  if (!usage.is_number_unsigned() && !usage.is_number_integer()) return std::nullopt;
  const auto bytes = usage.get<std::int64_t>();
  if (bytes <= 0) return std::nullopt;
  return bytes;
}

}  // namespace orsa::runtime::docker
