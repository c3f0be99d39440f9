#include "support/deployer_process.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "core/files.hpp"
#include "core/random.hpp"

extern char** environ;

namespace orsa::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStartDeadline = std::chrono::seconds(30);
constexpr auto kStopDeadline = std::chrono::seconds(15);
constexpr auto kPollInterval = std::chrono::milliseconds(10);

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

/// The services listener's URL from the start-up lines (printed before the ready file).
std::string announced_services_url(const std::string& output) {
  constexpr std::string_view kPrefix = "ORSA services serving at ";
  const auto at = output.find(kPrefix);
  if (at == std::string::npos) throw std::runtime_error("no services URL announced:\n" + output);
  const auto start = at + kPrefix.size();
  return output.substr(start, output.find('\n', start) - start);
}

std::string postgres_admin_url() {
  const char* file = std::getenv("ORSA_TEST_POSTGRES_URL_FILE");
  if (file == nullptr) throw std::runtime_error("ORSA_TEST_POSTGRES_URL_FILE is not set");
  auto url = read_file(file);
  if (!url) throw std::runtime_error("cannot read the PostgreSQL URL file " + std::string(file));
  return trim(*url);
}

// A fresh database per deployer keeps tests independent on one server.
std::string create_postgres_database() {
  const std::string admin = postgres_admin_url();
  PGconn* conn = PQconnectdb(admin.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot reach the test PostgreSQL server: " + why);
  }
  const std::string name = "orsa_it_" + random_hex(6);
  PGresult* res = PQexec(conn, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  PQfinish(conn);
  if (!ok) throw std::runtime_error("CREATE DATABASE failed");
  const auto slash = admin.rfind('/');
  return admin.substr(0, slash + 1) + name;
}

std::vector<std::string> child_environment(const DeployerOptions& options) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const char* name : {"ORSA_ADMIN_PASSWORD", "ORSA_DATABASE_URL", "ORSA_LISTEN",
                           "ORSA_DATA_DIR", "ORSA_REGISTRATION"}) {
    env.erase(name);
  }
  if (options.set_admin_password) env["ORSA_ADMIN_PASSWORD"] = DeployerProcess::kAdminPassword;
  env["ORSA_LOG_LEVEL"] = "warn";
  for (const auto& [k, v] : options.env) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
            const std::filesystem::path& log_path) {
  std::vector<char*> c_argv, c_env;
  for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  for (const auto& e : env) c_env.push_back(const_cast<char*>(e.c_str()));
  c_argv.push_back(nullptr);
  c_env.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    execve(c_argv[0], c_argv.data(), c_env.data());
    _exit(127);
  }
  if (pid < 0) throw std::runtime_error("fork failed");
  return pid;
}

}  // namespace

bool using_postgres() {
  const char* db = std::getenv("ORSA_TEST_DATABASE");
  return db != nullptr && std::string(db) == "postgres";
}

std::unique_ptr<DeployerProcess> DeployerProcess::start(DeployerOptions options) {
  std::unique_ptr<DeployerProcess> p(new DeployerProcess());
  p->owns_data_dir_ = options.data_dir.empty();
  p->data_dir_ = options.data_dir.empty()
                     ? std::filesystem::temp_directory_path() / ("orsa-it-" + random_hex(6))
                     : options.data_dir;
  std::filesystem::create_directories(p->data_dir_);
  p->log_path_ = p->data_dir_.string() + ".log";
  p->database_url_ = !options.database_url.empty() ? options.database_url
                     : using_postgres()            ? create_postgres_database()
                                        : "sqlite:" + (p->data_dir_ / "orsa.db").string();
  const auto ready_file = p->data_dir_.string() + ".ready";
  std::filesystem::remove(ready_file);
  std::vector<std::string> argv{
      ORSA_DEPLOYER_BIN, "--listen",       "127.0.0.1:0",  "--data-dir", p->data_dir_.string(),
      "--database",      p->database_url_, "--ready-file", ready_file,   "--services-listen",
      "127.0.0.1:0"};
  // The API suites need no containers; the deploy end-to-end test runs podman.
  argv.push_back("--no-runtime");
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  p->pid_ = spawn(argv, child_environment(options), p->log_path_);

  const auto deadline = Clock::now() + kStartDeadline;
  while (Clock::now() < deadline) {
    if (auto url = read_file(ready_file); url && !url->empty()) {
      p->url_ = trim(*url);
      p->services_url_ = announced_services_url(p->output());
      return p;
    }
    int status = 0;
    if (waitpid(p->pid_, &status, WNOHANG) == p->pid_) {
      p->pid_ = -1;
      throw std::runtime_error("orsa-deployer exited during start:\n" + p->output());
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  throw std::runtime_error("orsa-deployer did not become ready in time:\n" + p->output());
}

std::string DeployerProcess::output() const {
  return read_file(log_path_).value_or("");
}

int DeployerProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + kStopDeadline;
  int status = 0;
  while (Clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  kill();
  return -SIGKILL;
}

void DeployerProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

DeployerProcess::~DeployerProcess() {
  stop();
  if (owns_data_dir_) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
    std::filesystem::remove(log_path_, ec);
    std::filesystem::remove(data_dir_.string() + ".ready", ec);
  }
}

}  // namespace orsa::testing
