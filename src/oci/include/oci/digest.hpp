#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa::oci {

/// A content digest "sha256:<64 lower-case hex>" (the only algorithm ORSA
/// writes; others are rejected as unsupported).
class Digest {
 public:
  /// Parses and validates; kInvalidArgument naming the problem.
  static Result<Digest> parse(std::string_view text);
  /// The sha256 digest of `bytes`.
  static Digest of(std::string_view bytes);
  /// From 32 raw hash bytes.
  static Digest from_raw_sha256(std::string_view raw32);

  const std::string& str() const { return text_; }  // "sha256:…"
  std::string_view hex() const { return std::string_view(text_).substr(7); }
  bool operator==(const Digest&) const = default;
  auto operator<=>(const Digest&) const = default;

 private:
  explicit Digest(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

/// Incremental sha256 for streaming writers.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::string_view bytes);
  /// The digest of everything so far; the hasher must not be updated after.
  Digest finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace orsa::oci
