#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "testing/child_process.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::testing {

struct DeployerOptions {
  std::vector<std::string> args;           // extra flags
  std::map<std::string, std::string> env;  // extra environment
  bool set_admin_password = true;          // else the deployer generates one
  std::filesystem::path data_dir;          // empty → a fresh temp dir
  std::string database_url;                // empty → per ORSA_TEST_DATABASE
};

/// A real orsa-deployer process on 127.0.0.1:<free port> with its own data
/// directory and database: SQLite by default, or a fresh PostgreSQL database
/// on the test server when ORSA_TEST_DATABASE=postgres (the URL of the
/// server's admin connection is read from ORSA_TEST_POSTGRES_URL_FILE).
class DeployerProcess {
 public:
  static constexpr const char* kAdminPassword = "admin-password-for-tests";

  /// Starts the process and waits (with a deadline) until it serves.
  /// Throws std::runtime_error with the process log on failure.
  static std::unique_ptr<DeployerProcess> start(DeployerOptions options = {});
  ~DeployerProcess();

  const std::string& url() const { return url_; }
  /// The services listener, "http://127.0.0.1:PORT" (never ORSA's own origin).
  const std::string& services_url() const { return services_url_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  const std::string& database_url() const { return database_url_; }
  /// The process id (e.g. to read its memory use from /proc).
  pid_t pid() const { return child_->pid(); }
  /// Everything the process printed so far (stdout and stderr).
  std::string output() const;

  /// SIGTERM, then waits; returns the exit status (or -signal).
  int stop();
  /// SIGKILL, no grace.
  void kill();

 private:
  DeployerProcess() = default;
  void wait_until_serving(const std::filesystem::path& ready_file);

  TempDir scratch_{"orsa-it"};  // the ready file, and the data dir unless one is given
  std::unique_ptr<ChildProcess> child_;
  bool stopped_ = false;
  std::string url_;
  std::string services_url_;
  std::filesystem::path data_dir_;
  std::string database_url_;
};

/// True when the suite runs against PostgreSQL.
bool using_postgres();

}  // namespace orsa::testing
