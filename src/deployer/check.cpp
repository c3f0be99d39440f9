#include "deployer/check.hpp"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "core/clock.hpp"
#include "data_dir_lock.hpp"
#include "oci/blob_store.hpp"
#include "runtime/docker_api_runtime.hpp"
#include "runtime/podman_service.hpp"
#include "store/store.hpp"
#include "workers/consistency_check.hpp"

namespace orsa::deployer {
namespace {

int error_exit(const std::string& message) {
  std::fprintf(stderr, "orsa-deployer check: %s\n", message.c_str());
  return kCheckError;
}

/// The runtime the server would use: the given socket, or its private podman
/// service started again on the data dir's store (the server's own died with
/// it). None, with the reason in `notes`, when it cannot be reached.
struct CheckRuntime {
  std::unique_ptr<runtime::PodmanService> podman;
  std::unique_ptr<runtime::Runtime> runtime;
  std::string unavailable = "no container runtime reachable";  // why there is none
};

CheckRuntime attach_runtime(const Config& config) {
  CheckRuntime out;
  if (config.no_runtime) {
    out.unavailable = "--no-runtime";
    return out;
  }
  std::string socket;
  if (config.runtime_socket) {
    socket = config.runtime_socket->string();
  } else {
    const auto state_dir = config.data_dir / "podman";
    std::error_code ec;
    if (!std::filesystem::exists(state_dir / "storage.conf", ec)) {
      out.unavailable = "no podman store in the data dir";
      return out;
    }
    auto podman =
        runtime::PodmanService::start({.state_dir = state_dir, .podman_binary = config.podman_bin});
    if (!podman) {
      out.unavailable = "cannot start podman on the data dir's store: " + podman.error().message;
      return out;
    }
    out.podman = std::move(*podman);
    socket = out.podman->socket_path();
  }
  auto rt = std::make_unique<runtime::DockerApiRuntime>(runtime::DockerApiOptions{
      .socket_path = socket, .reconnect_window = {}});  // nobody restarts it: fail at once
  if (auto probe = rt->list({{runtime::kLabelManaged, "true"}}); !probe) {
    out.unavailable = "the runtime at " + socket + " does not answer: " + probe.error().message;
    return out;
  }
  out.runtime = std::move(rt);
  return out;
}

// Request bodies a dead server was spooling (the next start deletes them).
void check_spool(const std::filesystem::path& data_dir, bool repair, workers::CheckReport& report) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir / "spool", ec)) {
    workers::Finding f{"uploads",
                       "spooled_body",
                       entry.path().filename().string(),
                       "a request body a stopped server was receiving",
                       true,
                       false};
    if (repair) f.repaired = std::filesystem::remove(entry.path(), ec);
    report.findings.push_back(std::move(f));
  }
}

}  // namespace

int run_check(const Config& config, const CheckCommand& command) {
  std::error_code ec;
  if (!std::filesystem::is_directory(config.data_dir, ec)) {
    return error_exit("no data dir at " + config.data_dir.string());
  }
  const auto holder = DataDirLock::holder(config.data_dir);
  std::optional<DataDirLock> lock;
  if (command.repair) {
    auto taken = DataDirLock::acquire(config.data_dir);
    if (!taken) return error_exit(taken.error().message + ": stop it before --repair");
    lock.emplace(std::move(*taken));
  }
  SystemClock clock;
  auto store = store::open_store(config.effective_database_url(), clock);
  if (!store) return error_exit("cannot open the database: " + store.error().message);
  auto blobs = oci::BlobStore::inspect(config.storage_dir() / "registry");
  if (!blobs) return error_exit(blobs.error().message);
  CheckRuntime rt;
  if (!holder) rt = attach_runtime(config);
  auto report = workers::check_consistency(**store, **blobs, rt.runtime.get(),
                                           {.repair = command.repair,
                                            .server_running = holder.has_value(),
                                            .upload_age = config.upload_idle_timeout,
                                            .verify_content = command.verify_content,
                                            .now_unix = clock.now_unix(),
                                            .no_runtime_reason = rt.unavailable});
  if (rt.podman) std::ignore = rt.podman->stop();
  if (!report) return error_exit(report.error().message);
  if (!holder) check_spool(config.data_dir, command.repair, *report);
  if (holder) {
    report->notes.push_back("orsa-deployer pid " + std::to_string(*holder) +
                            " is serving this data dir");
  }
  const std::string out =
      command.json ? workers::report_json(*report) + "\n" : workers::report_text(*report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return report->remaining() == 0 ? kCheckClean : kCheckFindingsRemain;
}

}  // namespace orsa::deployer
