#include "services/templates.hpp"

#include <algorithm>

#include "orsa_templates_embedded.hpp"

namespace orsa::services {
namespace {

constexpr std::string_view kStarterDir = "/starter/";

}  // namespace

std::vector<std::string> TemplateCatalog::names() {
  std::vector<std::string> out;
  for (const auto& file : orsa_templates::embedded_files()) {
    const auto pos = file.path.find(kStarterDir);
    if (pos == std::string_view::npos) continue;
    std::string name(file.path.substr(0, pos));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<source::File>> TemplateCatalog::starter_files(std::string_view name) {
  const std::string prefix = std::string(name) + std::string(kStarterDir);
  std::vector<source::File> files;
  for (const auto& file : orsa_templates::embedded_files()) {
    if (file.path.starts_with(prefix)) {
      files.push_back({std::string(file.path.substr(prefix.size())), std::string(file.bytes)});
    }
  }
  if (files.empty()) {
    std::string known;
    for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
    return fail(Error::invalid_argument("unknown template '" + std::string(name) +
                                        "'; available: " + known));
  }
  return files;
}

}  // namespace orsa::services
