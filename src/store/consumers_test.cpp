#include <gtest/gtest.h>

#include <string>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

class ConsumerKeyStoreTest : public testing_support::StoreContract {
 protected:
  ConsumerKey key(const Project& p, const std::string& name, const std::string& hash) {
    auto created = store_->consumer_keys().create(
        {.project_id = p.id, .name = name, .key_hash = hash, .prefix = hash.substr(0, 4)});
    EXPECT_TRUE(created) << created.error().message;
    return created.value_or(ConsumerKey{});
  }
};
ORSA_STORE_CONTRACT(ConsumerKeyStoreTest);

TEST_P(ConsumerKeyStoreTest, KeysRoundTripWithTheirLimits) {
  const auto alice = user("alice");
  const auto shop = project(alice, "shop");
  auto created = store_->consumer_keys().create({.project_id = shop.id,
                                                 .name = "acme",
                                                 .key_hash = "hash-acme",
                                                 .prefix = "orsa_ck_ab",
                                                 .expires_at = kStart + 3600,
                                                 .rate_limit_per_min = 60,
                                                 .monthly_quota_requests = 1000,
                                                 .monthly_quota_run_seconds = 7200});
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_TRUE(created->id.starts_with("ck_"));
  EXPECT_EQ(created->owner_id, alice.id);  // taken from the project
  EXPECT_EQ(created->created_at, kStart);

  auto found = store_->consumer_keys().find_by_hash("hash-acme");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, created->id);
  EXPECT_EQ(found->project_id, shop.id);
  EXPECT_EQ(found->prefix, "orsa_ck_ab");
  EXPECT_EQ(found->expires_at, kStart + 3600);
  EXPECT_FALSE(found->revoked_at);
  EXPECT_EQ(found->rate_limit_per_min, 60);
  EXPECT_EQ(found->monthly_quota_requests, 1000);
  EXPECT_EQ(found->monthly_quota_run_seconds, 7200);

  const auto plain = key(shop, "plain", "hash-plain");
  EXPECT_FALSE(plain.expires_at);
  EXPECT_FALSE(plain.rate_limit_per_min);
  EXPECT_FALSE(plain.monthly_quota_requests);
  EXPECT_EQ(store_->consumer_keys().count_active(shop.id).value(), 2);
}

TEST_P(ConsumerKeyStoreTest, UnknownProjectAndDuplicateHashAreRefused) {
  const auto alice = user("alice");
  const auto shop = project(alice, "shop");
  auto orphan = store_->consumer_keys().create({.project_id = "prj_missing", .key_hash = "h"});
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);
  key(shop, "one", "same-hash");
  auto again = store_->consumer_keys().create({.project_id = shop.id, .key_hash = "same-hash"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message.find("same-hash"), std::string::npos);
}

TEST_P(ConsumerKeyStoreTest, KeysAreScopedToTheProjectOwner) {
  const auto alice = user("alice");
  const auto bob = user("bob");
  const auto shop = project(alice, "shop");
  const auto k = key(shop, "acme", "hash-1");

  EXPECT_EQ(store_->consumer_keys().list(OwnerScope::of(alice.id), shop.id).value().size(), 1u);
  EXPECT_TRUE(store_->consumer_keys().list(OwnerScope::of(bob.id), shop.id).value().empty());
  EXPECT_EQ(store_->consumer_keys().list(OwnerScope::everyone(), shop.id).value().size(), 1u);

  auto foreign = store_->consumer_keys().revoke(OwnerScope::of(bob.id), shop.id, k.id, kStart);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);
  auto wrong_project =
      store_->consumer_keys().revoke(OwnerScope::of(alice.id), "prj_other", k.id, kStart);
  ASSERT_FALSE(wrong_project);
  EXPECT_FALSE(store_->consumer_keys().find(k.id).value().revoked_at);
}

TEST_P(ConsumerKeyStoreTest, RevokingKeepsTheRowAndTheFirstTime) {
  const auto alice = user("alice");
  const auto shop = project(alice, "shop");
  const auto k = key(shop, "acme", "hash-1");
  auto revoked =
      store_->consumer_keys().revoke(OwnerScope::of(alice.id), shop.id, k.id, kStart + 5);
  ASSERT_TRUE(revoked) << revoked.error().message;
  EXPECT_EQ(revoked->revoked_at, kStart + 5);
  auto twice = store_->consumer_keys().revoke(OwnerScope::of(alice.id), shop.id, k.id, kStart + 9);
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->revoked_at, kStart + 5);
  EXPECT_EQ(store_->consumer_keys().list(OwnerScope::of(alice.id), shop.id).value().size(), 1u);
  EXPECT_EQ(store_->consumer_keys().count_active(shop.id).value(), 0);
}

TEST_P(ConsumerKeyStoreTest, DeletingTheProjectDeletesItsKeysAndUsage) {
  const auto alice = user("alice");
  const auto shop = project(alice, "shop");
  const auto k = key(shop, "acme", "hash-1");
  UsageRow row{.key = {shop.id, alice.id, k.id, "", kStart}, .counters = {.requests_2xx = 3}};
  ASSERT_TRUE(store_->usage().add({row}));
  ASSERT_TRUE(store_->projects().remove(OwnerScope::of(alice.id), shop.id));
  EXPECT_FALSE(store_->consumer_keys().find_by_hash("hash-1"));
  EXPECT_TRUE(store_->usage().project_rows(shop.id, 0, kStart * 2).value().empty());
}

class UsageStoreTest : public testing_support::StoreContract {};
ORSA_STORE_CONTRACT(UsageStoreTest);

TEST_P(UsageStoreTest, AddsToTheRowOfItsProjectKeyUserAndHour) {
  const auto alice = user("alice");
  const auto shop = project(alice, "shop");
  const std::int64_t h0 = 1'700'002'800, h1 = h0 + 3600;
  const UsageRow first{.key = {shop.id, alice.id, "ck_1", "", h0},
                       .counters = {.requests_2xx = 2, .bytes_in = 10, .bytes_out = 100}};
  const UsageRow more{.key = {shop.id, alice.id, "ck_1", "", h0},
                      .counters = {.requests_2xx = 1,
                                   .requests_4xx = 4,
                                   .refused = 3,
                                   .bytes_in = 5,
                                   .runs = 1,
                                   .run_wall_ms = 1500,
                                   .run_cpu_ms = 900}};
  const UsageRow later{.key = {shop.id, alice.id, "ck_1", "", h1}, .counters = {.requests_5xx = 1}};
  const UsageRow user_row{.key = {shop.id, alice.id, "", alice.id, h0},
                          .counters = {.requests_3xx = 7}};
  ASSERT_TRUE(store_->usage().add({first, user_row}));
  ASSERT_TRUE(store_->usage().add({more, later}));

  auto rows = store_->usage().project_rows(shop.id, h0, h1 + 3600);
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);
  // Oldest hour first, then by key ("" before "ck_1").
  EXPECT_EQ((*rows)[0].key.user_id, alice.id);
  EXPECT_EQ((*rows)[0].counters.requests_3xx, 7);
  const auto& merged = (*rows)[1].counters;
  EXPECT_EQ((*rows)[1].key.consumer_key_id, "ck_1");
  EXPECT_EQ(merged.requests_2xx, 3);
  EXPECT_EQ(merged.requests_4xx, 4);
  EXPECT_EQ(merged.refused, 3);
  EXPECT_EQ(merged.bytes_in, 15);
  EXPECT_EQ(merged.bytes_out, 100);
  EXPECT_EQ(merged.runs, 1);
  EXPECT_EQ(merged.run_wall_ms, 1500);
  EXPECT_EQ(merged.run_cpu_ms, 900);
  EXPECT_EQ((*rows)[2].key.hour, h1);

  EXPECT_EQ(store_->usage().project_rows(shop.id, h1, h1 + 1).value().size(), 1u);
  // A key's month: answered requests (refusals left out) and run time.
  auto month = store_->usage().key_usage_since("ck_1", h0);
  ASSERT_TRUE(month);
  EXPECT_EQ(month->requests, 3 + 4 - 3 + 1);
  EXPECT_EQ(month->run_ms, 1500);
  EXPECT_EQ(store_->usage().key_usage_since("ck_1", h1).value().requests, 1);
  EXPECT_EQ(store_->usage().key_usage_since("ck_none", h0).value().requests, 0);
}

TEST_P(UsageStoreTest, ARowOfADeletedProjectDoesNotFailTheBatch) {
  const auto alice = user("alice");
  const auto shop = project(alice, "shop");
  const UsageRow gone{.key = {"prj_gone", alice.id, "", "", kStart},
                      .counters = {.requests_2xx = 1}};
  const UsageRow kept{.key = {shop.id, alice.id, "", "", kStart}, .counters = {.requests_2xx = 1}};
  ASSERT_TRUE(store_->usage().add({gone, kept}));
  EXPECT_EQ(store_->usage().project_rows(shop.id, 0, kStart + 1).value().size(), 1u);
  EXPECT_TRUE(store_->usage().project_rows("prj_gone", 0, kStart + 1).value().empty());
}

TEST_P(UsageStoreTest, RetentionDeletesOldHours) {
  const auto alice = user("alice");
  const auto shop = project(alice, "shop");
  const UsageRow old_row{.key = {shop.id, alice.id, "", "", 3600}, .counters = {.requests_2xx = 1}};
  const UsageRow new_row{.key = {shop.id, alice.id, "", "", 7200}, .counters = {.requests_2xx = 1}};
  ASSERT_TRUE(store_->usage().add({old_row, new_row}));
  EXPECT_EQ(store_->usage().remove_before(7200).value(), 1);
  auto rows = store_->usage().project_rows(shop.id, 0, 10'000).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].key.hour, 7200);
}

}  // namespace
}  // namespace orsa::store
