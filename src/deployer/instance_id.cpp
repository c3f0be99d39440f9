#include "instance_id.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "core/files.hpp"
#include "core/random.hpp"

namespace orsa::deployer {
namespace {

constexpr std::string_view kFileName = "instance-id";
constexpr std::size_t kMaxLength = 64;

// "<host>-<8 hex>": readable in logs, unique even for two instances on one host.
std::string new_instance_id() {
  std::array<char, 256> host{};
  std::string name = ::gethostname(host.data(), host.size() - 1) == 0 ? host.data() : "orsa";
  std::ranges::replace_if(
      name, [](char c) { return !valid_instance_id(std::string_view(&c, 1)); }, '-');
  name = name.substr(0, kMaxLength - 9);
  return (name.empty() ? std::string("orsa") : name) + "-" + random_hex(4);
}

}  // namespace

bool valid_instance_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxLength && std::ranges::all_of(id, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  });
}

Result<std::string> instance_id(const std::filesystem::path& data_dir,
                                std::string_view configured) {
  if (!configured.empty()) {
    if (!valid_instance_id(configured))
      return fail(Error::invalid_argument("--instance-id must be 1-64 of A-Z a-z 0-9 . _ -"));
    return std::string(configured);
  }
  const auto path = data_dir / kFileName;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto kept = read_file(path);
    if (!kept) return fail(kept.error());
    std::string id = *kept;
    while (!id.empty() && std::isspace(static_cast<unsigned char>(id.back())) != 0) id.pop_back();
    if (valid_instance_id(id)) return id;
    return fail(Error::invalid_argument(path.string() + " does not hold a valid instance id"));
  }
  std::string id = new_instance_id();
  if (auto written = write_file_atomic(path, id + "\n"); !written) return fail(written.error());
  return id;
}

}  // namespace orsa::deployer
