#include "core/random.hpp"

#include <sodium.h>

#include <array>
#include <bit>
#include <cstdint>

#include "core/sodium.hpp"

namespace orsa {

std::string random_bytes(std::size_t n) {
  ensure_sodium();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string random_hex(std::size_t n) {
  return hex_encode(random_bytes(n));
}

std::string new_request_id() {
  // xoshiro256** (Blackman and Vigna), one state per thread.
  struct Xoshiro {
    std::array<std::uint64_t, 4> s{};
    Xoshiro() {
      ensure_sodium();
      while (s == std::array<std::uint64_t, 4>{}) randombytes_buf(s.data(), sizeof s);
    }
    std::uint64_t next() {
      const std::uint64_t result = std::rotl(s[1] * 5, 7) * 9;
      const std::uint64_t t = s[1] << 17;
      s[2] ^= s[0];
      s[3] ^= s[1];
      s[1] ^= s[2];
      s[0] ^= s[3];
      s[2] ^= t;
      s[3] = std::rotl(s[3], 45);
      return result;
    }
  };
  thread_local Xoshiro rng;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::uint64_t v = rng.next();
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = kDigits[v & 0xf];
  return out;
}

std::string new_id(std::string_view prefix) {
  // Crockford-style base32 without ambiguous letters: 20 chars = 100 bits.
  static constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
  const std::string raw = random_bytes(20);
  std::string out(prefix);
  out.push_back('_');
  for (unsigned char c : raw) out.push_back(kAlphabet[c & 31]);
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  ensure_sodium();
  const std::size_t len =
      sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), len, reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(len - 1);  // drop the terminating NUL
  return out;
}

std::string base64_encode(std::string_view bytes) {
  ensure_sodium();
  const std::size_t len = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(len, '\0');
  sodium_bin2base64(out.data(), len, reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(len - 1);  // drop the terminating NUL
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  ensure_sodium();
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), " \t\r\n", &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  ensure_sodium();
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace orsa
