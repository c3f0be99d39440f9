#include "support/deployer_process.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "core/files.hpp"
#include "core/random.hpp"
#include "testing/eventually.hpp"

namespace orsa::testing {
namespace {

constexpr auto kStartDeadline = std::chrono::seconds(30);
constexpr auto kStopDeadline = std::chrono::seconds(15);

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

std::map<std::string, std::string> child_environment(const DeployerOptions& options) {
  std::map<std::string, std::string> env;
  if (options.set_admin_password) env["ORSA_ADMIN_PASSWORD"] = DeployerProcess::kAdminPassword;
  env["ORSA_LOG_LEVEL"] = "warn";
  for (const auto& [k, v] : options.env) env[k] = v;
  return env;
}

}  // namespace

bool using_postgres() {
  const char* db = std::getenv("ORSA_TEST_DATABASE");
  return db != nullptr && std::string(db) == "postgres";
}

std::unique_ptr<DeployerProcess> DeployerProcess::start(DeployerOptions options) {
  std::unique_ptr<DeployerProcess> p(new DeployerProcess());
  p->data_dir_ = options.data_dir.empty() ? p->scratch_.path() / "data" : options.data_dir;
  std::filesystem::create_directories(p->data_dir_);
  p->database_url_ = !options.database_url.empty() ? options.database_url
                     : using_postgres()            ? create_postgres_database()
                                        : "sqlite:" + (p->data_dir_ / "orsa.db").string();
  const auto ready_file = p->scratch_.path() / "ready";
  std::vector<std::string> argv{
      ORSA_DEPLOYER_BIN,     "--listen",          "127.0.0.1:0",    "--data-dir",
      p->data_dir_.string(), "--database",        p->database_url_, "--ready-file",
      ready_file.string(),   "--services-listen", "127.0.0.1:0"};
  // The API suites need no containers; the deploy end-to-end test runs podman.
  argv.push_back("--no-runtime");
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  p->child_ = std::make_unique<ChildProcess>(
      ChildOptions{.argv = std::move(argv),
                   .env = child_environment(options),
                   .unset_env = {"ORSA_ADMIN_PASSWORD", "ORSA_DATABASE_URL", "ORSA_LISTEN",
                                 "ORSA_DATA_DIR", "ORSA_REGISTRATION"},
                   .merge_output = true});
  p->wait_until_serving(ready_file);
  return p;
}

void DeployerProcess::wait_until_serving(const std::filesystem::path& ready_file) {
  const auto url = eventually_value(kStartDeadline, [&]() -> std::optional<std::string> {
    if (auto line = read_file(ready_file); line && !line->empty()) return trim(*line);
    if (!child_->running()) {
      throw std::runtime_error("orsa-deployer exited during start:\n" + output());
    }
    return std::nullopt;
  });
  if (!url) throw std::runtime_error("orsa-deployer did not become ready in time:\n" + output());
  url_ = *url;
  services_url_ = announced_services_url(output());
}

std::string DeployerProcess::output() const {
  return child_->out();
}

int DeployerProcess::stop() {
  if (stopped_) return -1;
  stopped_ = true;
  return child_->stop(kStopDeadline);
}

void DeployerProcess::kill() {
  stopped_ = true;
  child_->kill();
}

DeployerProcess::~DeployerProcess() {
  stop();
}

}  // namespace orsa::testing
