#include "auth/passwords.hpp"

#include <gtest/gtest.h>

#include <string>

namespace orsa::auth {
namespace {

TEST(Passwords, HashVerifiesTheSamePasswordOnly) {
  auto hash = hash_password("correct horse battery");
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_TRUE(verify_password(*hash, "correct horse battery"));
  EXPECT_FALSE(verify_password(*hash, "correct horse batterY"));
  EXPECT_FALSE(verify_password(*hash, ""));
}

TEST(Passwords, HashIsArgon2idAndSalted) {
  auto a = hash_password("same password here");
  auto b = hash_password("same password here");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_TRUE(a->starts_with("$argon2id$")) << *a;
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(verify_password(*b, "same password here"));
}

TEST(Passwords, MalformedHashNeverVerifies) {
  auto good = hash_password("some password!");
  ASSERT_TRUE(good);
  std::string truncated = good->substr(0, good->size() - 5);
  std::string with_nul = *good;
  with_nul.insert(10, 1, '\0');
  for (const std::string& bad :
       {std::string(), std::string("not a hash"), std::string("$argon2id$"), truncated, with_nul,
        std::string(1000, 'a')}) {
    EXPECT_FALSE(verify_password(bad, "some password!")) << bad;
  }
}

TEST(Passwords, ValidateEnforcesLengthLimits) {
  auto short_one = validate_password(std::string(kMinPasswordLength - 1, 'x'));
  ASSERT_FALSE(short_one);
  EXPECT_EQ(short_one.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(short_one.error().message, "password must be at least 10 characters");
  EXPECT_FALSE(validate_password(""));
  EXPECT_TRUE(validate_password(std::string(kMinPasswordLength, 'x')));
  EXPECT_TRUE(validate_password(std::string(kMaxPasswordLength, 'x')));
  auto long_one = validate_password(std::string(kMaxPasswordLength + 1, 'x'));
  ASSERT_FALSE(long_one);
  EXPECT_EQ(long_one.error().code, ErrorCode::kInvalidArgument);
}

TEST(Passwords, HashRefusesOversizePassword) {
  auto r = hash_password(std::string(kMaxPasswordLength + 1, 'x'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(Passwords, GeneratedPasswordsAreUrlSafeValidAndUnique) {
  const auto a = generate_password();
  const auto b = generate_password();
  EXPECT_EQ(a.size(), 24u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(validate_password(a));
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}

}  // namespace
}  // namespace orsa::auth
