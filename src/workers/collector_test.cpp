#include "workers/collector.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "core/json.hpp"
#include "core/temp_dir.hpp"
#include "oci/media_types.hpp"
#include "oci/registry.hpp"
#include "testing/eventually.hpp"

namespace orsa::workers {
namespace {

constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 24 * kHour;
// Far after any file the test writes, so every blob is older than a run's
// start unless a test says otherwise.
constexpr std::int64_t kStart = 4'000'000'000;

Json descriptor(std::string_view media_type, std::string_view bytes) {
  return {
      {"mediaType", media_type}, {"digest", oci::Digest::of(bytes).str()}, {"size", bytes.size()}};
}

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::open_store("sqlite:" + (dir_.path() / "orsa.db").string(), clock_).value();
    blobs_ = oci::BlobStore::open(dir_.path() / "registry").value();
    registry_ = std::make_unique<oci::Registry>(*blobs_);
    audit_ = std::make_unique<services::Audit>(store_->audit(), clock_);
    images_ = std::make_unique<services::Images>(
        store_->images(), store_->projects(), store_->deployments(),
        [this](const store::Image& image) { return remove_tag(image); });
    owner_ =
        store_->users().create({"alice", "alice@example.org", "hash", Role::kDeveloper}).value();
  }

  // What deployer.cpp's remover does: the tag, then the manifest if untagged.
  Result<void> remove_tag(const store::Image& image) {
    if (auto ok = blobs_->delete_tag(image.repository, image.tag); !ok) return ok;
    const auto tags = blobs_->list_tags(image.repository).value();
    for (const auto& tag : tags) {
      if (blobs_->resolve_tag(image.repository, tag)->str() == image.digest) return {};
    }
    return blobs_->unlink_manifest(image.repository, oci::Digest::parse(image.digest).value());
  }

  std::unique_ptr<Collector> collector(CollectorOptions options = {}, DeploymentHooks hooks = {}) {
    return std::make_unique<Collector>(*store_, *images_, *blobs_, *audit_, clock_, options,
                                       std::move(hooks));
  }

  store::Project project(const std::string& name) {
    return store_->projects().create({owner_.id, name, "python-flask"}).value();
  }

  void push_blob(const std::string& repo, std::string_view bytes) {
    ASSERT_TRUE(registry_->put_blob(repo, oci::Digest::of(bytes).str(), bytes));
  }

  // Pushes an image (its own config and layer on a base layer the project's
  // images share) and records it, created now; the clock then moves a day.
  store::Image image(const store::Project& p, int number) {
    const std::string repo = "alice/" + p.name, tag = std::to_string(number);
    const std::string config = "config " + repo + ":" + tag, layer = "layer " + repo + ":" + tag;
    const std::string base = "base layer of " + repo;
    for (const auto& bytes : {config, layer, base}) push_blob(repo, bytes);
    const std::string manifest =
        Json{{"schemaVersion", 2},
             {"mediaType", oci::kOciManifest},
             {"config", descriptor(oci::kOciConfig, config)},
             {"layers", Json::array({descriptor(oci::kOciLayerGzip, base),
                                     descriptor(oci::kOciLayerGzip, layer)})}}
            .dump();
    const auto digest = registry_->put_manifest(repo, tag, manifest, oci::kOciManifest).value();
    auto created = store_->images().create({owner_.id, p.id, "bld_" + tag, repo, tag, digest.str(),
                                            static_cast<std::int64_t>(manifest.size()), "sha"});
    clock_.advance(kDay);
    return created.value();
  }

  // Bytes of the blobs only `image` uses: its manifest, config and layer.
  std::int64_t own_bytes(const store::Image& i) {
    const std::string ref = i.repository + ":" + i.tag;
    return blobs_->blob_size(oci::Digest::parse(i.digest).value()).value() +
           static_cast<std::int64_t>(("config " + ref).size() + ("layer " + ref).size());
  }

  store::Deployment deploy(const store::Project& p, const store::Image& i,
                           store::DeploymentStatus status = store::DeploymentStatus::kHealthy) {
    auto d = store_->deployments().create({.project_id = p.id, .image_id = i.id}).value();
    d.status = status;
    d.started_at = clock_.now_unix();
    return store_->deployments().save(d).value();
  }

  std::set<std::string> image_ids() {
    std::set<std::string> out;
    const auto images = store_->images().list(OwnerScope::everyone(), std::nullopt).value();
    for (const auto& i : images) {
      out.insert(i.id);
    }
    return out;
  }

  static std::vector<std::string> ids(const std::vector<services::GcImage>& images) {
    std::vector<std::string> out;
    for (const auto& i : images) out.push_back(i.id);
    return out;
  }

  TempDir dir_;
  ManualClock clock_{kStart};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<oci::BlobStore> blobs_;
  std::unique_ptr<oci::Registry> registry_;
  std::unique_ptr<services::Audit> audit_;
  std::unique_ptr<services::Images> images_;
  store::User owner_;
};

// Six images of "app", one a day; the run comes 10.5 days after the first,
// so they are 10.5, 9.5, 8.5, 7.5, 6.5 and 5.5 days old.
struct AppFixture {
  store::Project app;
  std::vector<store::Image> images;  // images[0] is #1, the oldest
};

class CollectorSelection : public CollectorTest {
 protected:
  void SetUp() override {
    CollectorTest::SetUp();
    fixture_.app = project("app");
    for (int n = 1; n <= 6; ++n) fixture_.images.push_back(image(fixture_.app, n));
    clock_.advance(4 * kDay + 12 * kHour);
  }
  const store::Image& img(int number) const { return fixture_.images[number - 1]; }

  AppFixture fixture_;
};

TEST_F(CollectorSelection, KeepsTheNewestNAndOnlyDeletesOldOnes) {
  // keep 3: #6, #5, #4 stay as the newest; #3, #2, #1 are old and unused.
  const std::int64_t freed = own_bytes(img(1)) + own_bytes(img(2)) + own_bytes(img(3));
  auto report = collector()->run(false);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(ids(report->images), (std::vector<std::string>{img(1).id, img(2).id, img(3).id}));
  EXPECT_EQ(image_ids(), (std::set<std::string>{img(4).id, img(5).id, img(6).id}));
  EXPECT_EQ(report->images[0].repository, "alice/app");
  EXPECT_EQ(report->images[0].tag, "1");
  EXPECT_EQ(report->images[0].digest, img(1).digest);
  // Their manifests, configs and own layers; the shared base layer stays.
  EXPECT_EQ(report->blob_count, 9);
  EXPECT_EQ(report->blob_bytes, freed);
  EXPECT_EQ(report->bytes_freed, freed);
  EXPECT_TRUE(report->errors.empty());
  EXPECT_FALSE(blobs_->resolve_tag("alice/app", "3"));
  EXPECT_TRUE(registry_->get_manifest("alice/app", "4"));
  EXPECT_TRUE(blobs_->has_blob(oci::Digest::of("base layer of alice/app")));
  EXPECT_EQ(blobs_->list_blobs().size(), 3u * 3 + 1);
}

TEST_F(CollectorSelection, TheAgeCutKeepsYoungImagesBeyondTheNewestN) {
  // keep 1: #6 is the newest; #5 (6.5 days) is younger than 7 days.
  auto report = collector({.keep = 1})->run(false);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(ids(report->images),
            (std::vector<std::string>{img(1).id, img(2).id, img(3).id, img(4).id}));
  EXPECT_EQ(image_ids(), (std::set<std::string>{img(5).id, img(6).id}));
}

TEST_F(CollectorSelection, AnImageADeploymentUsesIsNeverDeleted) {
  // #2 by a failed deployment, #5 (among the newest) by a healthy one.
  deploy(fixture_.app, img(2), store::DeploymentStatus::kFailed);
  deploy(fixture_.app, img(5));
  auto report = collector({.keep = 0})->run(false);
  ASSERT_TRUE(report) << report.error().message;
  // keep 0, age 7 days: #1, #3 and #4 go; #2 is used; #5 used and young; #6 young.
  EXPECT_EQ(ids(report->images), (std::vector<std::string>{img(1).id, img(3).id, img(4).id}));
  EXPECT_EQ(image_ids(), (std::set<std::string>{img(2).id, img(5).id, img(6).id}));
  EXPECT_TRUE(registry_->get_manifest("alice/app", "2"));
  EXPECT_EQ(report->blob_count, 9);
}

TEST_F(CollectorSelection, DryRunDeletesNothingAndPredictsTheRun) {
  auto c = collector();
  auto dry = c->run(true);
  ASSERT_TRUE(dry) << dry.error().message;
  EXPECT_TRUE(dry->dry_run);
  EXPECT_EQ(ids(dry->images), (std::vector<std::string>{img(1).id, img(2).id, img(3).id}));
  // What the sweep would take once those images were gone.
  EXPECT_EQ(dry->blob_count, 9);
  EXPECT_EQ(dry->blob_bytes, own_bytes(img(1)) + own_bytes(img(2)) + own_bytes(img(3)));
  EXPECT_EQ(dry->bytes_freed, 0);
  EXPECT_EQ(image_ids().size(), 6u);
  EXPECT_EQ(blobs_->list_blobs().size(), 6u * 3 + 1);
  EXPECT_TRUE(registry_->get_manifest("alice/app", "1"));

  auto run = c->run(false);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(ids(run->images), ids(dry->images));
  EXPECT_EQ(run->blob_count, dry->blob_count);
  EXPECT_EQ(run->bytes_freed, dry->blob_bytes);

  auto again = c->run(false);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->images.empty());
  EXPECT_EQ(again->blob_count, 0);
  EXPECT_EQ(again->bytes_freed, 0);
}

TEST_F(CollectorSelection, RunRetentionIsPartOfEveryRealCollection) {
  auto c = collector();
  int calls = 0;
  c->set_run_retention([&]() -> Result<void> {
    if (++calls == 2) return fail(Error::unavailable("database down"));
    return {};
  });
  ASSERT_TRUE(c->run(true));
  EXPECT_EQ(calls, 0);  // a dry run deletes nothing
  auto run = c->run(false);
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(run->errors.empty());
  auto failed = c->run(false);
  ASSERT_TRUE(failed) << failed.error().message;
  EXPECT_EQ(failed->errors, std::vector<std::string>{"runs: database down"});
}

TEST_F(CollectorSelection, ProjectsAreCountedSeparately) {
  const auto other = project("other");
  const auto a = image(other, 1);
  const auto b = image(other, 2);
  clock_.advance(30 * kDay);
  // "other" has two images, both old, both within its newest 3.
  auto report = collector()->run(false);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(ids(report->images), (std::vector<std::string>{img(1).id, img(2).id, img(3).id}));
  EXPECT_TRUE(image_ids().contains(a.id));
  EXPECT_TRUE(image_ids().contains(b.id));
}

TEST_F(CollectorSelection, BlobsOfAPushInProgressStay) {
  push_blob("alice/app", "uploaded long ago, never used");
  push_blob("alice/app", "uploaded a moment ago");
  // Within the hour of grace before the run's start.
  const auto young = blobs_->blob_path(oci::Digest::of("uploaded a moment ago"));
  const std::int64_t t = clock_.now_unix() - 30 * 60;
  const timespec times[2] = {{t, 0}, {t, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, young.c_str(), times, 0), 0);

  auto report = collector()->run(false);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->blob_count, 9 + 1);
  EXPECT_FALSE(blobs_->has_blob(oci::Digest::of("uploaded long ago, never used")));
  EXPECT_TRUE(blobs_->has_blob(oci::Digest::of("uploaded a moment ago")));
}

TEST_F(CollectorSelection, RunsAreAudited) {
  const std::int64_t freed = own_bytes(img(1)) + own_bytes(img(2)) + own_bytes(img(3));
  ASSERT_TRUE(collector()->run(true, owner_.id, "10.0.0.1"));
  clock_.advance(1);
  ASSERT_TRUE(collector()->run(false));
  const auto events = store_->audit().list(10).value();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].action, "gc_dry_run");
  EXPECT_EQ(events[1].actor_id, owner_.id);
  EXPECT_EQ(events[1].ip, "10.0.0.1");
  EXPECT_EQ(events[0].action, "gc");
  EXPECT_FALSE(events[0].actor_id);
  EXPECT_EQ(events[0].detail, "images=3 blobs=9 blob_bytes=" + std::to_string(freed) +
                                  " idle_stopped=0 bytes_freed=" + std::to_string(freed) +
                                  " errors=0");
}

class CollectorIdle : public CollectorTest {
 protected:
  void SetUp() override {
    CollectorTest::SetUp();
    app_ = project("app");
    image_ = image(app_, 1);
  }

  DeploymentHooks hooks() {
    return {.stop_idle = [this](const store::Deployment& d) -> Result<void> {
              stopped_.push_back(d.id);
              return {};
            },
            .last_request_at = [this](const std::string& id) -> std::optional<std::int64_t> {
              const auto it = live_.find(id);
              if (it == live_.end()) return std::nullopt;
              return it->second;
            }};
  }

  store::Deployment with(store::Deployment d, std::optional<std::int64_t> last_request) {
    d.last_request_at = last_request;
    return store_->deployments().save(d).value();
  }

  store::Project app_;
  store::Image image_;
  std::vector<std::string> stopped_;
  std::map<std::string, std::int64_t> live_;  // the gateway's last requests
};

TEST_F(CollectorIdle, StopsDeploymentsWithoutARequestForTooLong) {
  const auto silent = deploy(app_, image_);  // started 30 h before the run
  with(deploy(app_, image_), clock_.now_unix() + 28 * kHour);
  const auto live = deploy(app_, image_);
  live_[live.id] = clock_.now_unix() + 29 * kHour;
  deploy(app_, image_, store::DeploymentStatus::kStopped);
  auto not_wanted = deploy(app_, image_);
  not_wanted.desired_running = false;
  ASSERT_TRUE(store_->deployments().save(not_wanted));
  clock_.advance(6 * kHour);
  deploy(app_, image_);  // started 24 h before the run: not idle yet
  clock_.advance(24 * kHour);

  auto c = collector({}, hooks());
  auto dry = c->run(true);
  ASSERT_TRUE(dry) << dry.error().message;
  ASSERT_EQ(dry->idle_stopped.size(), 1u);
  EXPECT_EQ(dry->idle_stopped[0].deployment_id, silent.id);
  EXPECT_EQ(dry->idle_stopped[0].project, "alice/app");
  EXPECT_TRUE(stopped_.empty());

  auto run = c->run(false);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_EQ(run->idle_stopped.size(), 1u);
  EXPECT_EQ(stopped_, std::vector<std::string>{silent.id});
}

// Paused is the first tier of idleness: past --gc-idle a paused deployment
// is stopped like a running one. Every deployment paused when the run began
// is listed with the memory its frozen container holds, in a dry run and a
// real run alike.
TEST_F(CollectorIdle, StopsPausedDeploymentsPastTheLimitAndListsAllWithTheirMemory) {
  const auto old = deploy(app_, image_, store::DeploymentStatus::kPaused);
  clock_.advance(20 * kHour);
  const auto recent = deploy(app_, image_, store::DeploymentStatus::kPaused);
  const auto unmeasured = deploy(app_, image_, store::DeploymentStatus::kPaused);
  clock_.advance(5 * kHour);
  auto with_memory = hooks();
  with_memory.paused_memory = [&](const store::Deployment& d) -> std::optional<std::int64_t> {
    if (d.id == unmeasured.id) return std::nullopt;
    return d.id == recent.id ? 48 << 20 : 1;
  };
  auto c = collector({}, with_memory);
  for (const bool dry : {true, false}) {
    auto report = c->run(dry);
    ASSERT_TRUE(report) << report.error().message;
    ASSERT_EQ(report->idle_stopped.size(), 1u);
    EXPECT_EQ(report->idle_stopped[0].deployment_id, old.id);
    ASSERT_EQ(report->paused.size(), 3u);
    std::map<std::string, std::int64_t> held;
    for (const auto& p : report->paused) held[p.deployment_id] = p.memory_bytes;
    EXPECT_EQ(held.at(old.id), 1);
    EXPECT_EQ(held.at(recent.id), 48 << 20);
    EXPECT_EQ(held.at(unmeasured.id), -1);
  }
  EXPECT_EQ(stopped_, std::vector<std::string>{old.id});
}

TEST_F(CollectorIdle, WithoutHooksNothingIsStopped) {
  deploy(app_, image_);
  clock_.advance(30 * kDay);
  auto c = collector();
  auto report = c->run(false);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->idle_stopped.empty());
  c->set_deployment_hooks(hooks());
  report = c->run(false);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->idle_stopped.size(), 1u);
}

TEST_F(CollectorIdle, AFailedStopIsReportedAndTheRunGoesOn) {
  deploy(app_, image_);
  clock_.advance(30 * kDay);
  auto c = collector({}, {.stop_idle = [](const store::Deployment&) -> Result<void> {
                       return fail(Error::unavailable("runtime down"));
                     }});
  auto report = c->run(false);
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->idle_stopped.empty());
  ASSERT_EQ(report->errors.size(), 1u);
  EXPECT_NE(report->errors[0].find("runtime down"), std::string::npos);
}

TEST_F(CollectorIdle, OneRunAtATime) {
  deploy(app_, image_);
  clock_.advance(30 * kDay);
  std::unique_ptr<Collector> c;
  std::optional<Error> nested;
  c = collector({}, {.stop_idle = [&](const store::Deployment&) -> Result<void> {
                  auto inner = c->run(true);
                  if (!inner) nested = inner.error();
                  return {};
                }});
  ASSERT_TRUE(c->run(false));
  ASSERT_TRUE(nested);
  EXPECT_EQ(nested->code, ErrorCode::kConflict);
  EXPECT_EQ(nested->message, "a collection is already running");
}

TEST_F(CollectorTest, RunsPeriodicallyUntilStopped) {
  auto c = collector({.interval = std::chrono::seconds(0)});
  c->start();  // interval 0: no thread
  c->stop();
  auto periodic =
      std::make_unique<Collector>(*store_, *images_, *blobs_, *audit_, clock_,
                                  CollectorOptions{.interval = std::chrono::seconds(1)});
  periodic->start();
  const bool ran = orsa::testing::eventually(
      std::chrono::seconds(20),
      [&] {
        const auto events = store_->audit().list(10).value();
        return std::any_of(events.begin(), events.end(),
                           [](const auto& e) { return e.action == "gc"; });
      },
      "a periodic collection to record its audit event");
  periodic->stop();
  EXPECT_TRUE(ran);
  EXPECT_TRUE(store_->audit().list(10).value().size() >= 1u);
}

// Of two instances on one database, only the leader collects periodically
// (an admin's POST /admin/gc runs wherever it lands).
TEST_F(CollectorTest, APeriodicRunWaitsForThisInstanceToLead) {
  std::atomic<bool> leading{false};
  std::atomic<int> asked{0};
  auto periodic =
      std::make_unique<Collector>(*store_, *images_, *blobs_, *audit_, clock_,
                                  CollectorOptions{.interval = std::chrono::seconds(1)});
  periodic->set_leadership([&] {
    ++asked;
    return leading.load();
  });
  periodic->start();
  const auto gc_events = [&] {
    const auto events = store_->audit().list(10).value();
    return std::count_if(events.begin(), events.end(),
                         [](const auto& e) { return e.action == "gc"; });
  };
  ASSERT_TRUE(orsa::testing::eventually(
      std::chrono::seconds(20), [&] { return asked.load() >= 2; }, "two periodic turns"));
  EXPECT_EQ(gc_events(), 0);  // skipped while another instance leads
  leading = true;
  EXPECT_TRUE(orsa::testing::eventually(
      std::chrono::seconds(20), [&] { return gc_events() >= 1; }, "a run once leading"));
  periodic->stop();
}

TEST_F(CollectorTest, StopInterruptsTheWait) {
  auto c = collector();  // hourly
  c->start();
  const auto before = std::chrono::steady_clock::now();
  c->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5));
  EXPECT_TRUE(store_->audit().list(10).value().empty());
}

}  // namespace
}  // namespace orsa::workers
