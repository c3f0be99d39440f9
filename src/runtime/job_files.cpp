#include "job_files.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>
#include <thread>
#include <tuple>

#include "core/files.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"
#include "core/unique_fd.hpp"

namespace orsa::runtime::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kMinOutputBytes = 4096;
// Room for result.json, error.json and the runner's temporary files.
constexpr int kOutputInodes = 64;

Error io_error(const std::string& what, int err) {
  return Error::internal(what + ": " + errno_message(err));
}

Result<void> make_dir(const fs::path& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) != 0) {
    if (errno == EEXIST) return fail(Error::conflict("job directory exists: " + dir.string()));
    return fail(io_error("cannot create " + dir.string(), errno));
  }
  ::chmod(dir.c_str(), mode);  // mkdir's mode is filtered by the umask
  return {};
}

Result<void> mount_output(const fs::path& dir, std::int64_t bytes) {
  const std::string options = "size=" + std::to_string(bytes) +
                              ",nr_inodes=" + std::to_string(kOutputInodes) + ",mode=0777";
  if (::mount("orsa-job-out", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              options.c_str()) != 0) {
    return fail(
        Error::unavailable("cannot mount the job's output tmpfs at " + dir.string() +
                           " (the control plane needs CAP_SYS_ADMIN): " + errno_message(errno)));
  }
  return {};
}

Result<void> copy_input(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::is_regular_file(from, ec)) {
    return fail(Error::invalid_argument("job input is not a regular file: " + from.string()));
  }
  if (!fs::copy_file(from, to, ec)) return fail(io_error("cannot copy the job input", ec.value()));
  ::chmod(to.c_str(), 0444);
  return {};
}

Result<docker::JobMounts> fill_job_files(const JobSpec& spec) {
  docker::JobMounts mounts{.input = spec.work_dir / "input.json",
                           .options = spec.work_dir / "options.json",
                           .output = spec.work_dir / "out"};
  if (auto ok = copy_input(spec.input_file, mounts.input); !ok) return fail(ok.error());
  if (auto ok = write_file_atomic(mounts.options, spec.options_json, 0444); !ok) {
    return fail(ok.error());
  }
  if (auto ok = make_dir(mounts.output, 0700); !ok) return fail(ok.error());
  if (auto ok = mount_output(mounts.output, spec.max_output_bytes); !ok) return fail(ok.error());
  return mounts;
}

}  // namespace

Result<void> validate_job_files(const JobSpec& spec) {
  if (spec.input_file.empty() || !spec.input_file.is_absolute()) {
    return fail(Error::invalid_argument("job input_file must be an absolute path"));
  }
  if (spec.work_dir.empty() || !spec.work_dir.is_absolute() || !spec.work_dir.has_filename()) {
    return fail(Error::invalid_argument("job work_dir must be an absolute path"));
  }
  if (spec.options_json.size() > kMaxJobOptionsBytes) {
    return fail(
        Error::too_large("job options exceed " + std::to_string(kMaxJobOptionsBytes) + " bytes"));
  }
  if (spec.max_output_bytes < kMinOutputBytes) {
    return fail(Error::invalid_argument("job output capacity below 4 KiB"));
  }
  return {};
}

Result<docker::JobMounts> prepare_job_files(const JobSpec& spec) {
  if (auto ok = validate_job_files(spec); !ok) return fail(ok.error());
  if (auto ok = make_dir(spec.work_dir, 0700); !ok) return fail(ok.error());
  auto mounts = fill_job_files(spec);
  if (!mounts) {
    std::ignore = remove_job_files(spec.work_dir);  // the fill failure is the error to report
    return fail(mounts.error());
  }
  return mounts;
}

Result<std::uint64_t> prepare_served_job_files(const JobSpec& spec) {
  if (auto ok = validate_job_files(spec); !ok) return fail(ok.error());
  if (auto ok = make_dir(spec.work_dir, 0700); !ok) return fail(ok.error());
  const auto filled = [&]() -> Result<std::uint64_t> {
    const fs::path input = spec.work_dir / "input.json";
    if (auto ok = copy_input(spec.input_file, input); !ok) return fail(ok.error());
    if (auto ok = write_file_atomic(spec.work_dir / "options.json", spec.options_json, 0444); !ok) {
      return fail(ok.error());
    }
    if (auto ok = make_dir(spec.work_dir / "out", 0700); !ok) return fail(ok.error());
    std::error_code ec;
    const auto size = fs::file_size(input, ec);
    if (ec) return fail(io_error("cannot read the job input's size", ec.value()));
    return size + spec.options_json.size();
  }();
  if (!filled) std::ignore = remove_job_files(spec.work_dir);
  return filled;
}

Result<PolledJob> poll_job(const JobWait& wait, std::chrono::milliseconds poll,
                           std::chrono::milliseconds unreachable,
                           const std::function<Result<JobLook>()>& look,
                           const std::function<Result<void>(std::chrono::milliseconds)>& stop) {
  static constexpr auto kCheckInterval = std::chrono::milliseconds(250);
  PolledJob out;
  auto next_look = std::chrono::steady_clock::now();
  auto last_seen = next_look;
  std::optional<std::int64_t> started_at_ms;
  for (;;) {
    if (wait.abandon && wait.abandon()) return fail(Error::unavailable("stopped waiting"));
    const bool cancel = !out.stop_asked && wait.cancel && wait.cancel();
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_look || cancel) {
      next_look = now + poll;
      auto seen = look();
      if (seen) {
        if (seen->ended) return out;
        if (seen->started_at_ms) started_at_ms = seen->started_at_ms;
        last_seen = now;
      } else if (seen.error().code == ErrorCode::kNotFound || now - last_seen > unreachable) {
        return fail(seen.error());  // removed underneath, or the engine gone for too long
      }
      const auto elapsed = std::chrono::milliseconds(
          started_at_ms ? std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                                  .count() -
                              *started_at_ms
                        : 0);
      const bool over = started_at_ms && elapsed >= wait.time_limit;
      if (!out.stop_asked && (over || cancel)) {
        out.canceled = cancel && !over;
        out.timed_out = over;
        out.stop_asked = static_cast<bool>(stop(elapsed));  // asked again on the next look if not
      }
    }
    std::this_thread::sleep_for(kCheckInterval);
  }
}

Result<void> remove_job_files(const fs::path& work_dir) {
  const fs::path out = work_dir / "out";
  // EINVAL: not a mount point (never mounted, or already unmounted).
  if (::umount2(out.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return fail(io_error("cannot unmount " + out.string(), errno));
  }
  std::error_code ec;
  fs::remove_all(work_dir, ec);
  if (ec) return fail(io_error("cannot remove " + work_dir.string(), ec.value()));
  return {};
}

std::string_view output_file_name(JobOutput which) {
  return which == JobOutput::kResult ? "result.json" : "error.json";
}

Result<std::uint64_t> copy_output_file(const fs::path& output_dir, std::string_view name,
                                       const fs::path& destination, std::uint64_t max_bytes) {
  const fs::path source = output_dir / std::string(name);
  // The job owns the directory: the name may be a link (to anything on the
  // host) or a FIFO (a read that never returns). Neither is followed.
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!in.ok()) {
    if (errno == ENOENT) return fail(Error::not_found("the job wrote no " + std::string(name)));
    if (errno == ELOOP) {
      return fail(Error::unprocessable("the job's " + std::string(name) + " is a link"));
    }
    return fail(io_error("cannot open " + source.string(), errno));
  }
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return fail(io_error("cannot stat " + source.string(), errno));
  if (!S_ISREG(st.st_mode)) {
    return fail(Error::unprocessable("the job's " + std::string(name) + " is not a regular file"));
  }
  const auto too_large = [&] {
    return Error::too_large("the job's " + std::string(name) + " exceeds " +
                            std::to_string(max_bytes) + " bytes");
  };
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) return fail(too_large());
  const fs::path tmp =
      destination.parent_path() / ("." + destination.filename().string() + ".tmp-" + random_hex(6));
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out.ok()) return fail(io_error("cannot create " + tmp.string(), errno));
  const auto abandon = [&](Error error) -> Result<std::uint64_t> {
    ::unlink(tmp.c_str());
    return fail(std::move(error));
  };
  std::array<char, 64 * 1024> buffer{};
  std::uint64_t total = 0;
  while (true) {
    const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return abandon(io_error("cannot read " + source.string(), errno));
    if (n == 0) break;
    total += static_cast<std::uint64_t>(n);
    // The job may still be writing (a stray process): the cap holds anyway.
    if (total > max_bytes) return abandon(too_large());
    for (ssize_t done = 0; done < n;) {
      const ssize_t w =
          ::write(out.get(), buffer.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return abandon(io_error("cannot write " + tmp.string(), errno));
      done += w;
    }
  }
  if (::fsync(out.get()) != 0) return abandon(io_error("cannot sync " + tmp.string(), errno));
  out.reset();
  if (::rename(tmp.c_str(), destination.c_str()) != 0) {
    return abandon(io_error("cannot rename to " + destination.string(), errno));
  }
  return total;
}

}  // namespace orsa::runtime::detail
