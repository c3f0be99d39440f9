#pragma once

// Docker Engine API bodies of jobs: the create body (a hardened container
// with the job's files mounted) and the state a waiting caller reads.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "runtime/runtime.hpp"

namespace orsa::runtime::docker {

/// The host side of a job's files (see job_files.hpp).
struct JobMounts {
  std::filesystem::path input;    // → kJobInputPath, read-only
  std::filesystem::path options;  // → kJobOptionsPath, read-only
  std::filesystem::path output;   // → kJobOutputDir, writable
};

/// The ContainerSpec a job runs as: the job's image, command, limits and
/// labels (plus kLabelJob), hardened like every container, never restarted.
ContainerSpec job_container_spec(const JobSpec& spec);

/// Body of `POST /containers/create` for a job.
std::string create_job_body(const JobSpec& spec, const JobMounts& mounts,
                            std::string_view userns_mode = {});

/// What `GET /containers/{id}/json` says about a job.
struct JobState {
  ContainerState state = ContainerState::kUnknown;
  int exit_code = 0;
  bool oom_killed = false;
  bool is_job = false;                        // it carries kLabelJob=true
  std::optional<std::int64_t> started_at_ms;  // unix milliseconds
  std::optional<std::int64_t> finished_at_ms;
  std::filesystem::path output_dir;  // the host source of kJobOutputDir; empty if none
};

/// A `GET /containers/{id}/json` body as a job's state.
Result<JobState> parse_job_state(std::string_view json);

/// The CPU time (nanoseconds, all CPUs) in a `GET /containers/{id}/stats`
/// body; empty when it holds none (a stopped container reads as zeros).
std::optional<std::int64_t> parse_cpu_usage_ns(std::string_view json);
/// memory_stats.usage of the same stats object: the bytes the container's
/// cgroup holds; none when absent or not a positive integer.
std::optional<std::int64_t> parse_memory_usage(std::string_view json);

}  // namespace orsa::runtime::docker
