// services::Projects against the in-memory store and real git repositories
// in a temporary directory: scoping, roles and validation.

#include "services/projects.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/temp_dir.hpp"
#include "services/audit.hpp"
#include "store/memory_store.hpp"

namespace orsa::services {
namespace {

class ProjectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = principal(store_.users().create({"alice", "alice@example.org", "x"}).value(),
                       Role::kDeveloper);
    bob_ =
        principal(store_.users().create({"bob", "bob@example.org", "x"}).value(), Role::kDeveloper);
    viewer_ =
        principal(store_.users().create({"vera", "vera@example.org", "x"}).value(), Role::kViewer);
    admin_ =
        principal(store_.users().create({"root", "root@example.org", "x"}).value(), Role::kAdmin);
  }

  static auth::Principal principal(const store::User& user, Role role) {
    return {user.id, user.username, role, false, ""};
  }

  std::size_t all_projects() { return store_.projects().list(OwnerScope::everyone())->size(); }

  TempDir dir_;
  ManualClock clock_{1'700'000'000};
  store::MemoryStore store_{clock_};
  std::unique_ptr<source::SourceRepos> repos_ = source::make_git_repos(dir_.path() / "repos");
  Audit audit_{store_.audit(), clock_};
  Projects projects_{store_.projects(), store_.users(), *repos_, audit_, clock_, 2};
  auth::Principal alice_;
  auth::Principal bob_;
  auth::Principal viewer_;
  auth::Principal admin_;
  const Caller caller_{"127.0.0.1"};
  const ProjectRef knap_{"alice", "knap"};
};

TEST_F(ProjectsTest, CreateMakesTheRowTheRepositoryAndAnAuditEvent) {
  auto view = projects_.create(alice_, "knap", "python-flask", caller_);
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->project.owner_id, alice_.user_id);
  ASSERT_TRUE(view->head);
  EXPECT_EQ(projects_.get(alice_, knap_).value().head->sha, view->head->sha);
  const auto events = store_.audit().list(10).value();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "project_create");
  EXPECT_EQ(events[0].target, "project:alice/knap");
}

TEST_F(ProjectsTest, CommitsAndUploadsAreAuditedWithoutTheirContent) {
  ASSERT_TRUE(projects_.create(alice_, "knap", "python-flask", caller_));
  // Events of one second have no order among themselves: one second apart.
  clock_.advance(1);
  const std::string secret = "password=hunter2-do-not-log";
  auto saved = projects_.commit(alice_, knap_, {{"model.py", "x = 2\n"}, {"notes.txt", "n"}},
                                secret, std::nullopt, caller_);
  ASSERT_TRUE(saved) << saved.error().message;
  clock_.advance(1);
  auto archive = source::pack_tar_gz({{"model.py", "x = 3\n"}}, 0);
  ASSERT_TRUE(archive) << archive.error().message;
  auto uploaded = projects_.upload_archive(alice_, knap_, *archive, secret, std::nullopt, caller_);
  ASSERT_TRUE(uploaded) << uploaded.error().message;
  // A refused commit (someone else's project) is not an event.
  EXPECT_FALSE(projects_.commit(bob_, knap_, {{"x", "y"}}, "", std::nullopt, caller_));

  const auto events = store_.audit().list(10).value();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].action, "project_upload");
  EXPECT_EQ(events[0].detail, "commit " + uploaded->sha.substr(0, 12) + ", 1 archive file");
  EXPECT_EQ(events[1].action, "project_commit");
  EXPECT_EQ(events[1].actor_id, alice_.user_id);
  EXPECT_EQ(events[1].actor_username, "alice");
  EXPECT_EQ(events[1].target, "project:alice/knap");
  EXPECT_EQ(events[1].ip, "127.0.0.1");
  EXPECT_EQ(events[1].detail, "commit " + saved->sha.substr(0, 12) + ", 2 files");
  for (const auto& e : events) EXPECT_EQ(e.detail.find("hunter2"), std::string::npos);
}

TEST_F(ProjectsTest, ListIsOwnerScopedAndAdminsSeeAll) {
  ASSERT_TRUE(projects_.create(alice_, "knap", "python-flask", caller_));
  ASSERT_TRUE(projects_.create(bob_, "other", "python-flask", caller_));
  EXPECT_EQ(projects_.list(alice_, {}).value().items.size(), 1u);
  EXPECT_EQ(projects_.list(bob_, {}).value().items.size(), 1u);
  EXPECT_EQ(projects_.list(admin_, {}).value().items.size(), 2u);
}

TEST_F(ProjectsTest, ListIsPagedByTheCursorItGivesOut) {
  // Rows only (the fixture allows two projects per user through create).
  for (const auto* name : {"delta", "alpha", "charlie", "bravo", "echo"}) {
    ASSERT_TRUE(store_.projects().create({alice_.user_id, name, "python-flask"}));
  }
  ASSERT_TRUE(store_.projects().create({bob_.user_id, "alpha", "python-flask"}));
  const auto walk = [&](const auth::Principal& who) {
    std::vector<std::string> names;
    PageRequest request{.limit = 2};
    for (int pages = 0; pages < 6; ++pages) {
      auto page = projects_.list(who, request);
      EXPECT_TRUE(page) << page.error().message;
      if (!page) break;
      for (const auto& p : page->items) names.push_back(p.owner_username + "/" + p.name);
      if (!page->next_cursor) break;
      request.cursor = page->next_cursor;
    }
    return names;
  };
  EXPECT_EQ(walk(alice_), (std::vector<std::string>{"alice/alpha", "alice/bravo", "alice/charlie",
                                                    "alice/delta", "alice/echo"}));
  EXPECT_EQ(walk(bob_), std::vector<std::string>{"bob/alpha"});
  EXPECT_EQ(walk(admin_).size(), 6u);
  // A cursor naming another owner does not widen a developer's list.
  auto page = projects_.list(bob_, {.cursor = "alice/alpha"});
  ASSERT_TRUE(page);
  for (const auto& p : page->items) EXPECT_EQ(p.owner_username, "bob");

  for (const auto* bad : {"", "alice", "/a", "alice/", "a/b/c"}) {
    auto refused = projects_.list(alice_, {.cursor = std::string(bad)});
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(projects_.list(alice_, {.limit = 0}).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ProjectsTest, AnotherUsersProjectIsNotFound) {
  ASSERT_TRUE(projects_.create(alice_, "knap", "python-flask", caller_));
  EXPECT_EQ(projects_.get(bob_, knap_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(projects_.check_access(bob_, knap_, auth::Action::kRead).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(projects_.remove(bob_, knap_, caller_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(all_projects(), 1u);
  EXPECT_TRUE(projects_.get(admin_, knap_));
}

TEST_F(ProjectsTest, TheOwnerDeletesAndThenItIsGone) {
  ASSERT_TRUE(projects_.create(alice_, "knap", "python-flask", caller_));
  ASSERT_TRUE(projects_.remove(alice_, knap_, caller_));
  EXPECT_EQ(projects_.get(alice_, knap_).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(all_projects(), 0u);
}

TEST_F(ProjectsTest, TheRemovalHookRunsAroundTheRowsRemoval) {
  ASSERT_TRUE(projects_.create(alice_, "knap", "python-flask", caller_));
  std::vector<std::string> calls;
  projects_.set_removal_hook([&](const store::Project& p) {
    calls.push_back("before " + p.name + (all_projects() == 1 ? " (row there)" : ""));
    return [&] { calls.push_back(all_projects() == 0 ? "after (row gone)" : "after"); };
  });
  EXPECT_EQ(projects_.remove(bob_, knap_, caller_).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(calls.empty());  // a refused removal touches nothing
  ASSERT_TRUE(projects_.remove(alice_, knap_, caller_));
  EXPECT_EQ(calls, (std::vector<std::string>{"before knap (row there)", "after (row gone)"}));
}

TEST_F(ProjectsTest, AViewerCannotCreateAndNothingIsStored) {
  const auto created = projects_.create(viewer_, "knap", "python-flask", caller_);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(all_projects(), 0u);
  EXPECT_TRUE(store_.audit().list(10).value().empty());
}

TEST_F(ProjectsTest, BadNamesAndTemplatesAreRefusedAndNothingIsStored) {
  for (const std::string& name :
       std::vector<std::string>{"", "Knap", "a b", "../x", std::string(200, 'a')}) {
    const auto created = projects_.create(alice_, name, "python-flask", caller_);
    ASSERT_FALSE(created) << name;
    EXPECT_EQ(created.error().code, ErrorCode::kInvalidArgument) << name;
  }
  const auto unknown = projects_.create(alice_, "knap", "cobol", caller_);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("python-flask"), std::string::npos);
  EXPECT_EQ(all_projects(), 0u);
}

TEST_F(ProjectsTest, AProjectFromAnExampleHoldsItsFilesAndBuildsWithTheDefaultTemplate) {
  auto view = projects_.create_from_example(alice_, "beer", "transportation", caller_);
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->project.template_name, "python-flask");
  ASSERT_TRUE(view->head);
  EXPECT_EQ(view->head->message, "Create project from example transportation");
  auto input = projects_.read(alice_, {"alice", "beer"}, "", "input.json");
  ASSERT_TRUE(input) << input.error().message;
  EXPECT_NE(input->bytes.find("\"supply\""), std::string::npos);
  auto tree = projects_.files(alice_, {"alice", "beer"}, "");
  ASSERT_TRUE(tree);
  EXPECT_EQ(tree->files.size(), 4u);
  const auto events = store_.audit().list(10).value();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].detail, "example transportation");
}

TEST_F(ProjectsTest, AnUnknownExampleOrAViewerCreatesNothing) {
  auto unknown = projects_.create_from_example(alice_, "x", "knapsack-deluxe", caller_);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("sudoku"), std::string::npos);
  auto viewer = projects_.create_from_example(viewer_, "x", "sudoku", caller_);
  ASSERT_FALSE(viewer);
  EXPECT_EQ(viewer.error().code, ErrorCode::kPermissionDenied);
  auto bad_name = projects_.create_from_example(alice_, "Bad Name", "sudoku", caller_);
  EXPECT_FALSE(bad_name);
  EXPECT_EQ(all_projects(), 0u);
  EXPECT_TRUE(store_.audit().list(10).value().empty());
}

TEST_F(ProjectsTest, ADuplicateNameAndTheLimitAreConflicts) {
  ASSERT_TRUE(projects_.create(alice_, "knap", "python-flask", caller_));
  EXPECT_EQ(projects_.create(alice_, "knap", "python-flask", caller_).error().code,
            ErrorCode::kConflict);
  ASSERT_TRUE(projects_.create(alice_, "two", "python-flask", caller_));
  EXPECT_EQ(projects_.create(alice_, "three", "python-flask", caller_).error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(all_projects(), 2u);
}

TEST_F(ProjectsTest, EgressIsAnAdminSetting) {
  ASSERT_TRUE(projects_.create(alice_, "knap", "python-flask", caller_));
  EXPECT_EQ(projects_.set_egress(alice_, knap_, true, caller_).error().code,
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(projects_.set_egress(bob_, knap_, true, caller_).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(projects_.get(alice_, knap_).value().project.allow_egress);
  auto set = projects_.set_egress(admin_, knap_, true, caller_);
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_TRUE(projects_.get(alice_, knap_).value().project.allow_egress);
}

TEST_F(ProjectsTest, AViewerReadsOnlyWhatItSees) {
  ASSERT_TRUE(projects_.create(alice_, "knap", "python-flask", caller_));
  // A viewer's scope is its own rows: another's project stays hidden.
  EXPECT_EQ(projects_.get(viewer_, knap_).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(projects_.list(viewer_, {}).value().items.empty());
}

// Repository bytes are counted on disk, history included: a user cannot
// grow the control plane's disk without bound by saving again and again.
TEST_F(ProjectsTest, TheRepositoryQuotaRefusesWritesPastItAndStoresNothing) {
  constexpr std::int64_t kQuota = 400 * 1024;
  Projects quota_bound{store_.projects(), store_.users(), *repos_, audit_, clock_, 10, kQuota};
  ASSERT_TRUE(quota_bound.create(alice_, "knap", "python-flask", caller_));
  std::string noise(150 * 1024, '\0');
  std::uint32_t x = 7;
  for (auto& c : noise) c = static_cast<char>((x = x * 1103515245 + 12345) >> 24);
  ASSERT_TRUE(quota_bound.commit(alice_, knap_, {{"a.bin", noise}}, "", std::nullopt, caller_));
  noise[0] = static_cast<char>(noise[0] + 1);
  ASSERT_TRUE(quota_bound.commit(alice_, knap_, {{"a.bin", noise}}, "", std::nullopt, caller_));
  const auto before = repos_->owner_disk_bytes("alice").value();
  const auto head = quota_bound.get(alice_, knap_).value().head->sha;

  noise[1] = static_cast<char>(noise[1] + 1);
  auto refused = quota_bound.commit(alice_, knap_, {{"a.bin", noise}}, "", std::nullopt, caller_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find("repository storage quota exceeded: 'alice' uses"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find(" MiB of 0.4 MiB"), std::string::npos);
  auto archive = source::pack_tar_gz({{"a.bin", noise}}, 0);
  ASSERT_TRUE(archive);
  EXPECT_EQ(
      quota_bound.upload_archive(alice_, knap_, *archive, "", std::nullopt, caller_).error().code,
      ErrorCode::kPermissionDenied);
  EXPECT_EQ(repos_->owner_disk_bytes("alice").value(), before);  // nothing written
  EXPECT_EQ(quota_bound.get(alice_, knap_).value().head->sha, head);
  // A small save still fits; another user's quota is their own.
  EXPECT_TRUE(quota_bound.commit(alice_, knap_, {{"note.txt", "n"}}, "", std::nullopt, caller_));
  EXPECT_TRUE(quota_bound.create(bob_, "knap", "python-flask", caller_));
}

TEST_F(ProjectsTest, ANewProjectPastTheRepositoryQuotaLeavesNoRowAndNoRepository) {
  Projects quota_bound{store_.projects(), store_.users(), *repos_, audit_, clock_, 10, 1024};
  auto refused = quota_bound.create(alice_, "knap", "python-flask", caller_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_EQ(all_projects(), 0u);
  EXPECT_EQ(repos_->owner_disk_bytes("alice").value(), 0);
}

}  // namespace
}  // namespace orsa::services
