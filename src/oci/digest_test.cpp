#include "oci/digest.hpp"

#include <gtest/gtest.h>

#include <string>

namespace orsa::oci {
namespace {

constexpr const char* kEmpty =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* kAbc =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(Digest, KnownAnswers) {
  EXPECT_EQ(Digest::of("").str(), kEmpty);
  EXPECT_EQ(Digest::of("abc").str(), kAbc);
  // FIPS 180-2 long message: one million 'a'.
  EXPECT_EQ(Digest::of(std::string(1'000'000, 'a')).str(),
            "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Digest, StreamingEqualsOneShot) {
  const std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Sha256 hasher;
  for (std::size_t i = 0; i < text.size(); i += 7) hasher.update(text.substr(i, 7));
  const Digest streamed = hasher.finish();
  EXPECT_EQ(streamed, Digest::of(text));
  EXPECT_EQ(streamed.str(),
            "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Digest, MovedHasherKeepsState) {
  Sha256 a;
  a.update("ab");
  Sha256 b = std::move(a);
  b.update("c");
  EXPECT_EQ(b.finish().str(), kAbc);
}

TEST(Digest, FromRawAndHex) {
  const std::string raw(32, '\x01');
  const Digest d = Digest::from_raw_sha256(raw);
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "01";
  EXPECT_EQ(d.str(), "sha256:" + hex);
  EXPECT_EQ(d.hex(), hex);
}

TEST(Digest, ParseAcceptsCanonical) {
  auto d = Digest::parse(kAbc);
  ASSERT_TRUE(d.has_value()) << d.error().message;
  EXPECT_EQ(*d, Digest::of("abc"));
  EXPECT_EQ(d->hex().size(), 64u);
}

TEST(Digest, ParseRejectsOtherAlgorithms) {
  for (const char* text :
       {"sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff"
        "8318d2877eec2f63b931bd47417a81a538327af927da3e",
        "md5:d41d8cd98f00b204e9800998ecf8427e"}) {
    auto d = Digest::parse(text);
    ASSERT_FALSE(d.has_value()) << text;
    EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(d.error().message.find("unsupported digest algorithm"), std::string::npos)
        << d.error().message;
  }
}

TEST(Digest, ParseRejectsMalformed) {
  const std::string hex(kAbc + 7);
  const std::string cases[] = {
      "",
      "sha256",
      ":" + hex,
      "sha256:",
      "sha256:" + hex.substr(1),            // 63 digits
      "sha256:" + hex + "0",                // 65 digits
      "sha256:BA7816BF" + hex.substr(8),    // upper case
      "sha256:" + hex.substr(0, 63) + "g",  // not hex
      "SHA256:" + hex,                      // algorithm upper case
      "sha256 :" + hex,                     // malformed algorithm
      "sha256:" + hex.substr(0, 32) + " " + hex.substr(33),
      std::string("sha256:") + '\0' + hex.substr(1),
  };
  for (const std::string& text : cases) {
    auto d = Digest::parse(text);
    EXPECT_FALSE(d.has_value()) << "accepted: " << text;
    if (!d) {
      EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(Digest, ErrorNamesTheDigest) {
  auto d = Digest::parse("sha256:abc");
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message.find("sha256:abc"), std::string::npos) << d.error().message;
}

TEST(Digest, Ordering) {
  EXPECT_LT(*Digest::parse("sha256:" + std::string(64, '0')),
            *Digest::parse("sha256:" + std::string(64, '1')));
}

}  // namespace
}  // namespace orsa::oci
