// The reconciler against a fake runtime (the unit boundary) with a real
// SQLite store, route table and a real HTTP /healthz for the containers.

#include "workers/rollouts.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <stdexcept>
#include <thread>

#include "auth/rate_limiter.hpp"
#include "auth/sessions.hpp"
#include "core/temp_dir.hpp"
#include "core/work_queue.hpp"
#include "http/server.hpp"
#include "testing/eventually.hpp"

namespace orsa::workers {
namespace {

using store::DeploymentStatus;

/// Containers as plain records; "running" ones share one real HTTP port.
class FakeRuntime final : public runtime::Runtime {
 public:
  explicit FakeRuntime(std::uint16_t port) : port_(port) {}

  Result<void> pull(const std::string& image, const runtime::RegistryAuth& auth) override {
    std::lock_guard lock(mu_);
    if (auth.password.empty()) return fail(Error::unauthenticated("no pull token"));
    pulled_.push_back(image);
    images_.insert(image);
    return {};
  }
  bool has_image(const std::string& image) override {
    std::lock_guard lock(mu_);
    return images_.contains(image);
  }
  std::vector<std::string> pulled() {
    std::lock_guard lock(mu_);
    return pulled_;
  }
  Result<std::string> run(const runtime::ContainerSpec& spec) override {
    std::lock_guard lock(mu_);
    if (throw_on_run_) throw std::runtime_error("a bug in the runtime adapter");
    if (images_required_ && !images_.contains(spec.image))
      return fail(Error::not_found("no such image: " + spec.image));
    runtime::ContainerInfo c{.id = "c" + std::to_string(++next_),
                             .name = spec.name,
                             .image = spec.image,
                             .labels = spec.labels,
                             .network = spec.network};
    specs_.push_back(spec);
    set_running(c);
    containers_[c.id] = c;
    ++runs_;
    return c.id;
  }
  Result<runtime::ContainerInfo> inspect(const std::string& id) override {
    std::lock_guard lock(mu_);
    const auto it = containers_.find(id);
    if (it == containers_.end()) return fail(Error::not_found("no such container"));
    return it->second;
  }
  Result<void> start(const std::string& id) override {
    std::lock_guard lock(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return fail(Error::not_found("no such container"));
    ++starts_;
    if (crash_on_start_) {
      it->second.state = runtime::ContainerState::kExited;
      it->second.exit_code = oom_on_start_ ? 137 : 3;
      it->second.oom_killed = oom_on_start_;
      it->second.started_at = it->second.finished_at = 100;
    } else {
      set_running(it->second);
    }
    return {};
  }
  Result<void> stop(const std::string& id, std::chrono::seconds) override {
    std::unique_lock lock(mu_);
    stops_released_.wait(lock, [&] { return !hold_stops_; });
    if (auto it = containers_.find(id); it != containers_.end()) {
      it->second.state = runtime::ContainerState::kExited;
    }
    return {};
  }
  bool can_pause() const override { return can_pause_; }
  void set_can_pause(bool can) { can_pause_ = can; }
  Result<void> pause(const std::string& id) override {
    std::unique_lock lock(mu_);
    pauses_released_.wait(lock, [&] { return !hold_pauses_; });
    auto it = containers_.find(id);
    if (it == containers_.end()) return fail(Error::not_found("no such container"));
    if (it->second.state != runtime::ContainerState::kRunning)
      return fail(Error::conflict("not running"));
    it->second.state = runtime::ContainerState::kPaused;
    return {};
  }
  Result<void> unpause(const std::string& id) override {
    std::lock_guard lock(mu_);
    auto it = containers_.find(id);
    if (it == containers_.end()) return fail(Error::not_found("no such container"));
    if (it->second.state == runtime::ContainerState::kPaused)
      it->second.state = runtime::ContainerState::kRunning;
    return {};
  }
  Result<void> remove(const std::string& id) override {
    std::lock_guard lock(mu_);
    containers_.erase(id);
    return {};
  }
  Result<std::vector<runtime::ContainerInfo>> list(
      const std::map<std::string, std::string>&) override {
    std::lock_guard lock(mu_);
    std::vector<runtime::ContainerInfo> out;
    for (const auto& [id, c] : containers_) out.push_back(c);
    return out;
  }
  Result<void> logs(const std::string&, const runtime::LogOptions&,
                    const std::function<bool(const runtime::LogLine&)>& sink) override {
    sink(runtime::LogLine{.text = "Traceback: boom"});
    return {};
  }
  Result<void> events(const std::map<std::string, std::string>&,
                      const std::function<bool(const runtime::Event*)>&) override {
    return {};
  }
  Result<void> remove_image(const std::string&) override { return {}; }
  Result<void> create_network(const runtime::NetworkSpec& spec) override {
    std::lock_guard lock(mu_);
    networks_[spec.name] = spec;
    return {};
  }
  Result<void> remove_network(const std::string& name) override {
    std::lock_guard lock(mu_);
    for (const auto& [id, c] : containers_) {
      if (c.network == name) return fail(Error::conflict("network in use"));
    }
    networks_.erase(name);
    return {};
  }
  Result<void> ensure_reachable(const std::string& network) override {
    std::lock_guard lock(mu_);
    reached_.insert(network);
    return {};
  }
  std::set<std::string> reached() {
    std::lock_guard lock(mu_);
    return reached_;
  }
  Result<std::vector<runtime::NetworkInfo>> list_networks(
      const std::map<std::string, std::string>&) override {
    std::lock_guard lock(mu_);
    std::vector<runtime::NetworkInfo> out;
    for (const auto& [name, n] : networks_) {
      out.push_back({.id = name, .name = name, .labels = n.labels, .internal = !n.egress});
    }
    return out;
  }
  std::map<std::string, runtime::NetworkSpec> networks() {
    std::lock_guard lock(mu_);
    return networks_;
  }
  std::vector<runtime::ContainerSpec> specs() {
    std::lock_guard lock(mu_);
    return specs_;
  }

  /// A container as a previous process left it.
  std::string add(const std::string& deployment_id, runtime::ContainerState state,
                  const std::string& network = {}) {
    std::lock_guard lock(mu_);
    runtime::ContainerInfo c{
        .id = "left" + std::to_string(++next_),
        .labels = {{runtime::kLabelManaged, "true"}, {runtime::kLabelDeployment, deployment_id}},
        .network = network};
    set_running(c);
    c.state = state;
    containers_[c.id] = c;
    return c.id;
  }
  void crash(const std::string& id, bool crash_on_start, bool out_of_memory = false) {
    std::lock_guard lock(mu_);
    oom_on_start_ = out_of_memory;
    containers_[id].state = runtime::ContainerState::kExited;
    containers_[id].exit_code = 137;
    containers_[id].started_at = 0;
    containers_[id].finished_at = 1000;  // ran long: not a fast failure
    crash_on_start_ = crash_on_start;
  }
  bool exists(const std::string& id) {
    std::lock_guard lock(mu_);
    return containers_.contains(id);
  }
  /// A node that has none of the images (a cluster runtime's other node,
  /// or an image collected since): run() needs a pull first.
  void lose_images() {
    std::lock_guard lock(mu_);
    images_.clear();
    images_required_ = true;
  }
  int runs() {
    std::lock_guard lock(mu_);
    return runs_;
  }
  void throw_on_run(bool on) {
    std::lock_guard lock(mu_);
    throw_on_run_ = on;
  }
  /// While held, stop() waits: a container as slow to stop as a draining one.
  void hold_stops(bool on) {
    {
      std::lock_guard lock(mu_);
      hold_stops_ = on;
    }
    stops_released_.notify_all();
  }
  void hold_pauses(bool on) {
    {
      std::lock_guard lock(mu_);
      hold_pauses_ = on;
    }
    pauses_released_.notify_all();
  }
  runtime::ContainerState state_of(const std::string& id) {
    std::lock_guard lock(mu_);
    const auto it = containers_.find(id);
    return it == containers_.end() ? runtime::ContainerState::kUnknown : it->second.state;
  }
  /// Replicas of a container, as a runtime with several reports them.
  void set_endpoints(const std::string& id, std::vector<runtime::Endpoint> endpoints) {
    std::lock_guard lock(mu_);
    containers_.at(id).endpoints = std::move(endpoints);
  }
  void forget_container(const std::string& id) {
    std::lock_guard lock(mu_);
    containers_.erase(id);
  }
  std::size_t container_count() {
    std::lock_guard lock(mu_);
    return containers_.size();
  }

 private:
  std::vector<std::string> pulled_;
  std::set<std::string> images_;
  void set_running(runtime::ContainerInfo& c) const {
    c.state = runtime::ContainerState::kRunning;
    c.host_ip = "127.0.0.1";
    c.host_port = port_;
    c.started_at = 100;
    c.finished_at.reset();
  }

  std::uint16_t port_;
  std::mutex mu_;
  std::map<std::string, runtime::ContainerInfo> containers_;
  std::map<std::string, runtime::NetworkSpec> networks_;
  std::set<std::string> reached_;
  std::vector<runtime::ContainerSpec> specs_;
  int next_ = 0, runs_ = 0, starts_ = 0;
  bool crash_on_start_ = false;
  bool oom_on_start_ = false;
  bool throw_on_run_ = false;
  bool images_required_ = false;
  bool hold_stops_ = false;
  std::condition_variable stops_released_;
  bool hold_pauses_ = false;
  bool can_pause_ = true;
  std::condition_variable pauses_released_;
};

class DeploymentsTest : public ::testing::Test {
 protected:
  static constexpr std::chrono::seconds kPauseIdle{600};

  void SetUp() override {
    router_.add("GET", "/healthz", [](http::Request&) { return http::text_response(200, "ok"); });
    server_ = std::make_unique<http::Server>(http::ServerOptions{.port = 0}, router_, metrics_);
    port_ = server_->start().value();
    runtime_ = std::make_unique<FakeRuntime>(port_);
    store_ = store::open_store("sqlite:" + (dir_.path() / "orsa.db").string(), clock_).value();
    signer_ =
        std::make_unique<auth::SessionSigner>(std::string(32, 'k'), std::chrono::hours(1), clock_);
    push_ = std::make_unique<auth::PushTokenSigner>(std::string(32, 'k'), clock_);
    audit_ = std::make_unique<services::Audit>(store_->audit(), clock_);
    accounts_ = std::make_unique<services::Accounts>(
        services::AccountTables{store_->users(), store_->sessions(), store_->tokens(),
                                store_->projects()},
        *signer_, *push_, limiter_, *audit_, clock_, services::Registration::kOpen);
    user_ = store_->users().create({"alice", "alice@example.org", "x"}).value();
    project_ = store_->projects().create({user_.id, "knap", "python-flask"}).value();
    image_ = store_->images()
                 .create({user_.id, project_.id, "bld_1", "alice/knap", "1",
                          "sha256:" + std::string(64, 'e'), 1, std::string(40, 'a')})
                 .value();
    services::DeploymentOptions options;
    options.reconcile_in_background = false;  // the tests drive reconcile()
    options.max_backoff = std::chrono::seconds(0);
    options.health_timeout = std::chrono::seconds(5);
    options.pause_idle = kPauseIdle;
    rollouts_ = std::make_unique<Rollouts>(*store_, *accounts_, routes_, *audit_, clock_, options);
    deployments_ = std::make_unique<services::Deployments>(store_->deployments(), store_->images(),
                                                           store_->projects(), *repos_, routes_,
                                                           *audit_, *rollouts_, options);
    rollouts_->set_leadership([this] { return leading_.load(); });
    rollouts_->start(*runtime_, {"127.0.0.1:1"});
  }
  void TearDown() override {
    deployments_.reset();
    rollouts_.reset();
    server_->stop(std::chrono::seconds(0));
    server_->wait();
  }

  /// A deployment the database says is live in a running container.
  store::Deployment live() {
    auto d = store_->deployments().create({project_.id, image_.id}).value();
    d.status = DeploymentStatus::kHealthy;
    d.container_id = runtime_->add(d.id, runtime::ContainerState::kRunning);
    d.host_port = port_;
    return store_->deployments().save(d).value();
  }

  /// Reconciles until `done` holds (workers run restarts in the background).
  ::testing::AssertionResult reconcile_until(const std::function<bool()>& done) {
    return orsa::testing::eventually(
        std::chrono::seconds(20),
        [&] {
          rollouts_->reconcile();
          return done();
        },
        "the reconciler to reach the expected state");
  }

  store::Deployment reload(const std::string& id) {
    return store_->deployments().find(OwnerScope::everyone(), id).value();
  }

  TempDir dir_;
  ManualClock clock_{1'700'000'000};
  http::Router router_;
  http::Metrics metrics_;
  std::unique_ptr<http::Server> server_;
  std::uint16_t port_ = 0;
  std::unique_ptr<FakeRuntime> runtime_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<source::SourceRepos> repos_ = source::make_git_repos(dir_.path() / "repos");
  std::unique_ptr<auth::SessionSigner> signer_;
  std::unique_ptr<auth::PushTokenSigner> push_;
  auth::LoginRateLimiter limiter_{clock_};
  std::unique_ptr<services::Audit> audit_;
  std::unique_ptr<services::Accounts> accounts_;
  gateway::RouteTable routes_;
  store::User user_;
  store::Project project_;
  store::Image image_;
  std::atomic<bool> leading_{true};  // this instance holds the leader lease
  std::unique_ptr<Rollouts> rollouts_;
  std::unique_ptr<services::Deployments> deployments_;
};

TEST_F(DeploymentsTest, AdoptsARunningContainerAndRoutesToIt) {
  const auto d = live();
  const auto container = d.container_id;
  rollouts_->reconcile();
  const auto route = routes_.find("alice", "knap");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->state, gateway::RouteState::kServing);
  EXPECT_EQ(route->deployment_id, d.id);
  EXPECT_EQ(route->upstreams.at(0).port, port_);
  EXPECT_TRUE(runtime_->exists(container));
  EXPECT_EQ(runtime_->runs(), 0);  // adopted, not recreated
}

TEST_F(DeploymentsTest, TheRouteFollowsEveryReplicaTheRuntimeReports) {
  const auto d = live();
  runtime_->set_endpoints(d.container_id, {{"127.0.0.1", port_}, {"127.0.0.2", 9001}});
  rollouts_->reconcile();
  auto route = routes_.find("alice", "knap");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->upstreams,
            (std::vector<gateway::Upstream>{{"127.0.0.1", port_}, {"127.0.0.2", 9001}}));
  // A replica moved to another node (drain): the next pass routes there.
  runtime_->set_endpoints(d.container_id, {{"127.0.0.3", 9002}, {"127.0.0.2", 9001}});
  rollouts_->reconcile();
  route = routes_.find("alice", "knap");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->upstreams,
            (std::vector<gateway::Upstream>{{"127.0.0.3", 9002}, {"127.0.0.2", 9001}}));
  // A runtime that reports none: the row's endpoint again.
  runtime_->set_endpoints(d.container_id, {});
  rollouts_->reconcile();
  route = routes_.find("alice", "knap");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->upstreams, (std::vector<gateway::Upstream>{{"127.0.0.1", port_}}));
}

// A control plane in a container that was re-created (compose down/up) is on
// none of the networks of the containers it adopts: each pass makes them
// reachable again.
TEST_F(DeploymentsTest, AdoptedContainersNetworksAreMadeReachable) {
  auto d = store_->deployments().create({project_.id, image_.id}).value();
  const auto network = "orsa-net-" + d.id;
  ASSERT_TRUE(runtime_->create_network({.name = network}).has_value());
  d.status = DeploymentStatus::kHealthy;
  d.container_id = runtime_->add(d.id, runtime::ContainerState::kRunning, network);
  d.host_port = port_;
  ASSERT_TRUE(store_->deployments().save(d).has_value());
  runtime_->add("dep_gone", runtime::ContainerState::kExited, "orsa-net-dep_gone");
  rollouts_->reconcile();
  EXPECT_EQ(runtime_->reached(), std::set<std::string>{network});
}

TEST_F(DeploymentsTest, RemovesOrphanedContainers) {
  const auto d = live();
  const auto kept = d.container_id;
  const auto unknown = runtime_->add("dep_gone", runtime::ContainerState::kRunning);
  const auto stale = runtime_->add(d.id, runtime::ContainerState::kRunning);  // a second one
  rollouts_->reconcile();
  EXPECT_TRUE(runtime_->exists(kept));
  EXPECT_FALSE(runtime_->exists(unknown));
  EXPECT_FALSE(runtime_->exists(stale));
}

// Of two instances on one database, the one without the lease changes no
// container (the leader does) but still routes by the rows.
TEST_F(DeploymentsTest, AnInstanceThatDoesNotLeadChangesNoContainerButRoutes) {
  const auto d = live();
  const auto orphan = runtime_->add("dep_gone", runtime::ContainerState::kRunning);
  runtime_->crash(d.container_id, false);
  leading_ = false;
  rollouts_->reconcile();
  EXPECT_TRUE(runtime_->exists(orphan));  // not swept
  EXPECT_EQ(runtime_->runs(), 0);
  EXPECT_EQ(reload(d.id).restarts, 0);  // not restarted
  const auto route = routes_.find("alice", "knap");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->deployment_id, d.id);
  EXPECT_EQ(route->upstreams.at(0).port, port_);

  leading_ = true;  // the lease passed to this instance
  ASSERT_TRUE(reconcile_until([&] {
    const auto now = reload(d.id);
    return now.status == DeploymentStatus::kHealthy && now.restarts == 1;
  }));
  EXPECT_FALSE(runtime_->exists(orphan));
}

// Several instances (ADR 0019): the API of one that does not lead only
// writes the row; the leader's pass applies it, so no two instances create,
// start or stop the same deployment's container.
TEST_F(DeploymentsTest, AnInstanceThatDoesNotLeadLeavesContainersToTheLeader) {
  const auth::Principal alice{.user_id = user_.id, .username = "alice", .role = Role::kDeveloper};
  leading_ = false;
  const auto d = deployments_->create(alice, {.image_id = image_.id}, {"127.0.0.1"}).value();
  rollouts_->reconcile();
  EXPECT_EQ(runtime_->runs(), 0);
  EXPECT_EQ(reload(d.id).status, DeploymentStatus::kPending);
  leading_ = true;
  ASSERT_TRUE(reconcile_until([&] { return reload(d.id).status == DeploymentStatus::kHealthy; }));
  EXPECT_EQ(runtime_->runs(), 1);
  const auto container = reload(d.id).container_id;

  leading_ = false;
  ASSERT_TRUE(deployments_->stop_deployment(alice, d.id, {"127.0.0.1"}));
  rollouts_->reconcile();
  EXPECT_EQ(runtime_->state_of(container), runtime::ContainerState::kRunning);
  leading_ = true;
  ASSERT_TRUE(reconcile_until(
      [&] { return runtime_->state_of(container) == runtime::ContainerState::kExited; }));

  leading_ = false;
  ASSERT_TRUE(deployments_->start_deployment(alice, d.id, {"127.0.0.1"}));
  rollouts_->reconcile();
  EXPECT_EQ(runtime_->state_of(container), runtime::ContainerState::kExited);
  leading_ = true;
  ASSERT_TRUE(reconcile_until([&] { return reload(d.id).status == DeploymentStatus::kHealthy; }));
  EXPECT_EQ(reload(d.id).container_id, container) << "started again, not replaced";
  EXPECT_EQ(runtime_->runs(), 1);

  leading_ = false;
  ASSERT_TRUE(deployments_->remove(alice, d.id, {"127.0.0.1"}));
  EXPECT_TRUE(runtime_->exists(container));
  leading_ = true;
  ASSERT_TRUE(reconcile_until(
      [&] { return runtime_->container_count() == 0 && runtime_->networks().empty(); }));
  EXPECT_EQ(runtime_->runs(), 1);
}

// A container that is gone is replaced from the image; where the image is
// not (a cluster's other node, a collected image) it is pulled again, with
// a pull credential of its own.
TEST_F(DeploymentsTest, AReplacedContainerIsGivenItsImageAgain) {
  const auth::Principal alice{.user_id = user_.id, .username = "alice", .role = Role::kDeveloper};
  const auto d = deployments_->create(alice, {.image_id = image_.id}, {"127.0.0.1"}).value();
  ASSERT_TRUE(reconcile_until([&] { return reload(d.id).status == DeploymentStatus::kHealthy; }));
  ASSERT_TRUE(deployments_->stop_deployment(alice, d.id, {"127.0.0.1"}));
  ASSERT_TRUE(runtime_->remove(reload(d.id).container_id));
  runtime_->lose_images();
  ASSERT_TRUE(deployments_->start_deployment(alice, d.id, {"127.0.0.1"}));
  ASSERT_TRUE(reconcile_until([&] { return reload(d.id).status == DeploymentStatus::kHealthy; }));
  EXPECT_EQ(runtime_->pulled().size(), 2u);
  EXPECT_EQ(runtime_->runs(), 2);
}

TEST_F(DeploymentsTest, RestartsACrashedContainer) {
  const auto d = live();
  const auto container = d.container_id;
  runtime_->crash(container, false);
  ASSERT_TRUE(reconcile_until([&] {
    const auto now = reload(d.id);
    return now.status == DeploymentStatus::kHealthy && now.restarts == 1;
  }));
  EXPECT_EQ(routes_.find("alice", "knap")->state, gateway::RouteState::kServing);
}

// Each deployment runs on a network of its own, without egress until an
// admin allows it for the project, as an unprivileged user; networks of
// deployments without a container are swept.
TEST_F(DeploymentsTest, EachDeploymentGetsItsOwnNetworkWithoutEgressUnlessAllowed) {
  const auto d = live();
  const std::string internal = "orsa-net-" + d.id;
  const std::string routed = internal + "-egress";
  const auto recreate = [&](int runs) {
    // Gone: the restart makes a new one.
    if (!runtime_->remove(reload(d.id).container_id)) return false;
    return static_cast<bool>(reconcile_until([&] {
      return runtime_->runs() == runs && reload(d.id).status == DeploymentStatus::kHealthy;
    }));
  };
  ASSERT_TRUE(recreate(1));
  auto specs = runtime_->specs();
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].network, internal);
  EXPECT_EQ(specs[0].user, "65534:65534");
  auto networks = runtime_->networks();
  ASSERT_TRUE(networks.contains(internal));
  EXPECT_FALSE(networks[internal].egress);
  EXPECT_EQ(networks[internal].labels[runtime::kLabelDeployment], d.id);
  EXPECT_EQ(networks[internal].labels[runtime::kLabelManaged], "true");

  ASSERT_TRUE(store_->projects().set_egress(project_.id, true).has_value());
  ASSERT_TRUE(recreate(2));
  specs = runtime_->specs();
  ASSERT_EQ(specs.size(), 2u);
  EXPECT_EQ(specs[1].network, routed);
  networks = runtime_->networks();
  ASSERT_TRUE(networks.contains(routed));
  EXPECT_TRUE(networks[routed].egress);
  EXPECT_FALSE(networks.contains(internal)) << "the network from before the change stays";

  // A network whose deployment is gone (or never had a container) is swept.
  ASSERT_TRUE(runtime_->create_network(
      {.name = "orsa-net-dep_gone",
       .labels = {{runtime::kLabelManaged, "true"}, {runtime::kLabelDeployment, "dep_gone"}}}));
  rollouts_->reconcile();
  networks = runtime_->networks();
  EXPECT_FALSE(networks.contains("orsa-net-dep_gone"));
  EXPECT_TRUE(networks.contains(routed)) << "a network in use was removed";
}

TEST_F(DeploymentsTest, MarksCrashloopAfterRepeatedFastFailures) {
  const auto d = live();
  const auto container = d.container_id;
  runtime_->crash(container, true);
  ASSERT_TRUE(reconcile_until([&] { return reload(d.id).status == DeploymentStatus::kCrashloop; }));
  const auto now = reload(d.id);
  EXPECT_NE(now.status_reason.find("crashed 5 times"), std::string::npos) << now.status_reason;
  EXPECT_NE(now.status_reason.find("Traceback: boom"), std::string::npos);
  EXPECT_EQ(routes_.find("alice", "knap")->state, gateway::RouteState::kUnavailable);
}

TEST_F(DeploymentsTest, ACrashloopOutOfMemorySaysSoWithTheLimit) {
  const auto d = live();
  runtime_->crash(d.container_id, true, true);
  ASSERT_TRUE(reconcile_until([&] { return reload(d.id).status == DeploymentStatus::kCrashloop; }));
  const auto reason = reload(d.id).status_reason;
  EXPECT_NE(reason.find("out of memory: its limit is " + std::to_string(d.memory_mb) + " MiB"),
            std::string::npos)
      << reason;
}

TEST_F(DeploymentsTest, RejectsBadRequestsAndChangesNothing) {
  const auth::Principal alice{.user_id = user_.id, .username = "alice", .role = Role::kDeveloper};
  const auth::Principal viewer{.user_id = user_.id, .username = "alice", .role = Role::kViewer};
  const auth::Principal bob{.user_id = "usr_bob", .username = "bob", .role = Role::kDeveloper};
  const auto code = [&](const auth::Principal& who, services::DeployRequest request) {
    auto created = deployments_->create(who, request, {"127.0.0.1"});
    return created ? ErrorCode{} : created.error().code;
  };
  EXPECT_EQ(code(bob, {.image_id = image_.id}), ErrorCode::kNotFound);
  EXPECT_EQ(code(viewer, {.image_id = image_.id}), ErrorCode::kPermissionDenied);
  EXPECT_EQ(code(alice, {.image_id = "img_nope"}), ErrorCode::kNotFound);
  EXPECT_EQ(code(alice, {.image_id = image_.id, .memory_mb = 999'999}),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(alice, {.image_id = image_.id, .cpus = 0.01}), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(alice, {.image_id = image_.id, .env = {{{"lower", "x"}}}}),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(alice, {.image_id = image_.id, .env = {{{"ORSA_DEPLOYMENT", "x"}}}}),
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store_->deployments().list(OwnerScope::everyone(), std::nullopt).value().empty());
  EXPECT_EQ(runtime_->runs(), 0);
}

std::uint64_t failures_of(std::string_view name) {
  for (const auto& [n, count] : background_failures())
    if (n == name) return count;
  return 0;
}

// An image pinned by digest that the store holds (a prefetch, an earlier
// deploy) is not pulled again: the deploy goes straight to its container.
TEST_F(DeploymentsTest, AnImageAlreadyInTheStoreIsNotPulledAgain) {
  const auth::Principal alice{.user_id = user_.id, .username = "alice", .role = Role::kDeveloper};
  const std::string reference = "127.0.0.1:1/alice/knap@" + image_.digest;
  const auto first = deployments_->create(alice, {.image_id = image_.id}, {"127.0.0.1"});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(
      reconcile_until([&] { return reload(first->id).status == DeploymentStatus::kHealthy; }));
  EXPECT_EQ(runtime_->pulled(), std::vector<std::string>{reference});
  const auto second = deployments_->create(alice, {.image_id = image_.id}, {"127.0.0.1"});
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE(
      reconcile_until([&] { return reload(second->id).status == DeploymentStatus::kHealthy; }));
  EXPECT_EQ(runtime_->pulled().size(), 1u) << "the image in the store was pulled again";
  EXPECT_EQ(runtime_->runs(), 2);
}

// The old version retires (drain, SIGTERM, remove) in a task of its own: the
// new one can be stopped or deleted the moment it is live, and deleting either
// while a task holds it leaves nothing behind once the task ends.
TEST_F(DeploymentsTest, TheNewVersionIsFreeWhileTheOldOneRetires) {
  const auth::Principal alice{.user_id = user_.id, .username = "alice", .role = Role::kDeveloper};
  const auto first = deployments_->create(alice, {.image_id = image_.id}, {"127.0.0.1"});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(
      reconcile_until([&] { return reload(first->id).status == DeploymentStatus::kHealthy; }));
  runtime_->hold_stops(true);  // the old version takes its time to stop
  const auto second = deployments_->create(alice, {.image_id = image_.id}, {"127.0.0.1"});
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE(orsa::testing::eventually(
      std::chrono::seconds(20),
      [&] {
        return reload(first->id).status_reason == "replaced by " + second->id &&
               !rollouts_->is_busy(second->id);
      },
      "the old version retiring and the new one free"));
  EXPECT_EQ(reload(second->id).status, DeploymentStatus::kHealthy);
  EXPECT_TRUE(rollouts_->is_busy(first->id)) << "the retirement is still stopping it";
  ASSERT_TRUE(deployments_->remove(alice, second->id, {"127.0.0.1"}));
  ASSERT_TRUE(deployments_->remove(alice, first->id, {"127.0.0.1"}));
  runtime_->hold_stops(false);
  ASSERT_TRUE(reconcile_until([&] { return runtime_->container_count() == 0; }));
  EXPECT_TRUE(deployments_->list(alice, std::nullopt).value().empty());
  EXPECT_TRUE(runtime_->networks().empty());
}

// --- the warm idle tier ---------------------------------------------------------

class PauseTest : public DeploymentsTest {
 protected:
  /// A deployment rolled out and serving.
  store::Deployment serving() {
    const auth::Principal alice{.user_id = user_.id, .username = "alice", .role = Role::kDeveloper};
    const auto d = deployments_->create(alice, {.image_id = image_.id}, {"127.0.0.1"}).value();
    EXPECT_TRUE(reconcile_until([&] { return reload(d.id).status == DeploymentStatus::kHealthy; }));
    return reload(d.id);
  }
  ::testing::AssertionResult paused(const std::string& id) {
    return reconcile_until([&] {
      const auto d = reload(id);
      return d.status == DeploymentStatus::kPaused &&
             runtime_->state_of(d.container_id) == runtime::ContainerState::kPaused &&
             !rollouts_->is_busy(id);
    });
  }
  gateway::RouteState route_state() {
    const auto route = routes_.find("alice", "knap");
    return route ? route->state : gateway::RouteState::kUnavailable;
  }
};

TEST_F(PauseTest, AnIdleDeploymentIsPausedAndARequestThawsTheSameContainer) {
  const auto d = serving();
  clock_.advance(kPauseIdle.count() - 1);
  rollouts_->reconcile();
  EXPECT_FALSE(orsa::testing::eventually(std::chrono::milliseconds(300), [&] {
    return reload(d.id).status != DeploymentStatus::kHealthy;
  })) << "paused before it was idle long enough";
  clock_.advance(2);
  ASSERT_TRUE(paused(d.id));
  EXPECT_EQ(route_state(), gateway::RouteState::kIdle) << "a request must wake it";
  EXPECT_EQ(reload(d.id).status_reason, "idle");

  rollouts_->wake(d.id);
  ASSERT_TRUE(reconcile_until([&] { return route_state() == gateway::RouteState::kServing; }));
  const auto thawed = reload(d.id);
  EXPECT_EQ(thawed.status, DeploymentStatus::kHealthy);
  EXPECT_EQ(thawed.container_id, d.container_id) << "thawed, not started anew";
  EXPECT_EQ(runtime_->state_of(d.container_id), runtime::ContainerState::kRunning);
  EXPECT_EQ(runtime_->runs(), 1);
}

TEST_F(PauseTest, ARuntimeThatCannotPauseKeepsServingIdleDeployments) {
  runtime_->set_can_pause(false);
  const auto d = serving();
  clock_.advance(kPauseIdle.count() + 1);
  rollouts_->reconcile();
  // Never marked paused (which would hold requests for a thaw that cannot
  // come): the collector's idle stop is what applies on such a runtime.
  EXPECT_FALSE(orsa::testing::eventually(std::chrono::milliseconds(500), [&] {
    rollouts_->reconcile();
    return reload(d.id).status != DeploymentStatus::kHealthy;
  }));
  EXPECT_EQ(route_state(), gateway::RouteState::kServing);
  EXPECT_EQ(runtime_->state_of(d.container_id), runtime::ContainerState::kRunning);
}

TEST_F(PauseTest, ARequestDuringThePauseIsServedOnceThePauseEnds) {
  const auto d = serving();
  runtime_->hold_pauses(true);  // the freeze takes its time
  clock_.advance(kPauseIdle.count() + 1);
  rollouts_->reconcile();
  ASSERT_TRUE(reconcile_until([&] { return reload(d.id).status == DeploymentStatus::kPaused; }));
  rollouts_->wake(d.id);  // the pause task holds the deployment: the wake waits for it
  runtime_->hold_pauses(false);
  ASSERT_TRUE(orsa::testing::eventually(
      std::chrono::seconds(10),
      [&] {
        return reload(d.id).status == DeploymentStatus::kHealthy &&
               runtime_->state_of(d.container_id) == runtime::ContainerState::kRunning;
      },
      "the deferred wake to thaw it"));
  EXPECT_EQ(route_state(), gateway::RouteState::kServing);
}

// A new version goes live while the old one is being paused: the old one is
// retired once the pause ends, not left running beside it.
TEST_F(PauseTest, AVersionBeingPausedIsRetiredWhenThePauseEnds) {
  const auto old = serving();
  runtime_->hold_pauses(true);
  clock_.advance(kPauseIdle.count() + 1);
  rollouts_->reconcile();
  ASSERT_TRUE(reconcile_until([&] { return reload(old.id).status == DeploymentStatus::kPaused; }));
  const auth::Principal alice{.user_id = user_.id, .username = "alice", .role = Role::kDeveloper};
  const auto next = deployments_->create(alice, {.image_id = image_.id}, {"127.0.0.1"}).value();
  ASSERT_TRUE(orsa::testing::eventually(
      std::chrono::seconds(10),
      [&] { return reload(next.id).status == DeploymentStatus::kHealthy; },
      "the new version live"));
  EXPECT_TRUE(reload(old.id).desired_running) << "retired under its own pause";
  runtime_->hold_pauses(false);
  ASSERT_TRUE(orsa::testing::eventually(
      std::chrono::seconds(10),
      [&] {
        const auto d = reload(old.id);
        return !d.desired_running && d.status_reason == "replaced by " + next.id &&
               !runtime_->exists(old.container_id);
      },
      "the old version retired after its pause"));
  EXPECT_EQ(route_state(), gateway::RouteState::kServing);
}

TEST_F(PauseTest, APausedDeploymentWhoseContainerIsGoneStartsAgainOnARequest) {
  const auto d = serving();
  clock_.advance(kPauseIdle.count() + 1);
  ASSERT_TRUE(paused(d.id));
  runtime_->forget_container(d.container_id);  // the engine lost it
  rollouts_->wake(d.id);
  ASSERT_TRUE(orsa::testing::eventually(
      std::chrono::seconds(10), [&] { return reload(d.id).status == DeploymentStatus::kHealthy; },
      "a fresh container"));
  EXPECT_NE(reload(d.id).container_id, d.container_id);
  EXPECT_EQ(runtime_->runs(), 2);
}

TEST_F(PauseTest, TheCollectorStopsAPausedDeploymentAfterTheLongerIdle) {
  const auto d = serving();
  clock_.advance(kPauseIdle.count() + 1);
  ASSERT_TRUE(paused(d.id));
  ASSERT_TRUE(rollouts_->stop_idle(reload(d.id)));
  const auto stopped = reload(d.id);
  EXPECT_EQ(stopped.status, DeploymentStatus::kStopped);
  EXPECT_FALSE(stopped.desired_running);
  EXPECT_EQ(runtime_->state_of(d.container_id), runtime::ContainerState::kExited);
  EXPECT_EQ(route_state(), gateway::RouteState::kIdle) << "a request still wakes it";
}

TEST_F(PauseTest, AContainerThawedByHandIsServedAgain) {
  const auto d = serving();
  clock_.advance(kPauseIdle.count() + 1);
  ASSERT_TRUE(paused(d.id));
  ASSERT_TRUE(runtime_->unpause(d.container_id));
  ASSERT_TRUE(reconcile_until([&] {
    return reload(d.id).status == DeploymentStatus::kHealthy &&
           route_state() == gateway::RouteState::kServing;
  }));
}

TEST_F(DeploymentsTest, AnExceptionInARolloutIsCountedAndNothingStaysWedged) {
  const auth::Principal alice{.user_id = user_.id, .username = "alice", .role = Role::kDeveloper};
  const auto before = failures_of("deployments");
  runtime_->throw_on_run(true);
  const auto first = deployments_->create(alice, {.image_id = image_.id}, {"127.0.0.1"});
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(reconcile_until([&] { return failures_of("deployments") > before; }));
  // The rollout is failed with a reason, not left half-way.
  ASSERT_TRUE(
      reconcile_until([&] { return reload(first->id).status == DeploymentStatus::kFailed; }));
  EXPECT_NE(reload(first->id).status_reason.find("a bug in the runtime adapter"),
            std::string::npos);
  // The worker survived: once the adapter behaves, a new deployment goes
  // through the same workers.
  runtime_->throw_on_run(false);
  const auto second = deployments_->create(alice, {.image_id = image_.id}, {"127.0.0.1"});
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE(
      reconcile_until([&] { return reload(second->id).status == DeploymentStatus::kHealthy; }));
}

}  // namespace
}  // namespace orsa::workers
