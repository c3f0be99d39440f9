#pragma once

// A job's files on the control plane's disk, for runtimes that bind-mount
// them (docker-api):
//   <work_dir>/            0700, the control plane's alone
//     input.json           a copy of JobSpec::input_file, 0444
//     options.json         JobSpec::options_json, 0444
//     out/                 a tmpfs of max_output_bytes, mode 0777
// The output directory is a tmpfs of its own so a job cannot fill the host's
// disk, and world-writable because the job's user is whatever the image and
// the user namespace make it (a uid the host does not know in advance).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string_view>

#include "core/error.hpp"
#include "docker_job_json.hpp"
#include "runtime/runtime.hpp"

namespace orsa::runtime::detail {

/// Checks the file-related fields of a job spec and its limits.
Result<void> validate_job_files(const JobSpec& spec);

/// Creates the work dir with the job's input, options and output tmpfs.
/// Leaves nothing behind on failure.
Result<docker::JobMounts> prepare_job_files(const JobSpec& spec);

/// The same layout for a job that fetches and uploads its files over the
/// jobs listener (ADR 0021): no tmpfs (the listener caps each upload), the
/// output directory the control plane's alone. Returns the bytes of the
/// input and options; leaves nothing behind on failure.
Result<std::uint64_t> prepare_served_job_files(const JobSpec& spec);

/// What a polled engine (Kubernetes, Swarm) says of a job at one look.
struct JobLook {
  bool ended = false;
  std::optional<std::int64_t> started_at_ms;  // unix milliseconds, when known
};

/// How a poll_job ended.
struct PolledJob {
  bool timed_out = false;   // stopped at the time limit
  bool canceled = false;    // stopped on cancel (and not the time limit first)
  bool stop_asked = false;  // `stop` was asked and accepted
};

/// The caller's side of JobWait for an engine that is polled: looks every
/// `poll` (at once on cancel), asks `stop(elapsed)` once at the time limit
/// or on cancel, and returns once a look says the job ended. kUnavailable
/// when `abandon` says so; a look's kNotFound at once, its other errors
/// once none has succeeded for `unreachable`.
Result<PolledJob> poll_job(const JobWait& wait, std::chrono::milliseconds poll,
                           std::chrono::milliseconds unreachable,
                           const std::function<Result<JobLook>()>& look,
                           const std::function<Result<void>(std::chrono::milliseconds)>& stop);

/// Unmounts the output tmpfs and removes `work_dir`; a missing one is fine.
Result<void> remove_job_files(const std::filesystem::path& work_dir);

/// The file name in the output directory of `which`.
std::string_view output_file_name(JobOutput which);

/// Copies `<output_dir>/<name>` to `destination` (atomically) without
/// following links or blocking on special files; at most `max_bytes`.
Result<std::uint64_t> copy_output_file(const std::filesystem::path& output_dir,
                                       std::string_view name,
                                       const std::filesystem::path& destination,
                                       std::uint64_t max_bytes);

}  // namespace orsa::runtime::detail
