#include <gtest/gtest.h>

#include <string_view>

#include "store_contract.hpp"

namespace orsa::store {
namespace {

using testing_support::kStart;

class StoreTest : public testing_support::StoreContract {};
ORSA_STORE_CONTRACT(StoreTest);

TEST_P(StoreTest, PingAnswers) {
  EXPECT_TRUE(store_->ping());
}

TEST_P(StoreTest, MissingRowsAreNotFound) {
  const auto alice = user("alice");
  const auto expect_not_found = [](const auto& result, std::string_view message) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(result.error().message, message);
  };
  expect_not_found(store_->users().find_by_id("usr_missing"), "user not found");
  expect_not_found(store_->users().find_by_login("nobody"), "user not found");
  expect_not_found(store_->users().update("usr_missing", Role::kAdmin, true), "user not found");
  expect_not_found(store_->users().update("usr_missing", std::nullopt, std::nullopt),
                   "user not found");
  expect_not_found(store_->tokens().find_by_hash("nope"), "token not found");
  expect_not_found(store_->tokens().remove(OwnerScope::everyone(), "tok_missing"),
                   "token not found");
  expect_not_found(store_->tokens().touch("tok_missing", kStart), "token not found");
  expect_not_found(store_->projects().find(OwnerScope::everyone(), "alice", "nope"),
                   "project not found");
  expect_not_found(store_->projects().remove(OwnerScope::everyone(), "prj_missing"),
                   "project not found");
  expect_not_found(store_->projects().touch("prj_missing", kStart), "project not found");
  // Rows that point at a missing user.
  expect_not_found(store_->tokens().create({"usr_missing", "cli", "h1", std::nullopt}),
                   "user not found");
  expect_not_found(store_->projects().create({"usr_missing", "knap", "python-flask"}),
                   "user not found");
  EXPECT_TRUE(store_->tokens().list(OwnerScope::of(alice.id)).value().empty());
}

}  // namespace
}  // namespace orsa::store
