#include "services/examples.hpp"

#include <algorithm>

#include "orsa_examples_embedded.hpp"

namespace orsa::services {
namespace {

/// "blend/model.py" → "blend"; empty for a file outside a folder.
std::string_view example_of(std::string_view path) {
  const auto slash = path.find('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& file : orsa_examples::embedded_files()) {
    const std::string name(example_of(file.path));
    if (!name.empty() && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

ExampleInfo ExampleCatalog::describe(std::string_view name, std::string_view readme) {
  ExampleInfo info{std::string(name), std::string(name), ""};
  bool titled = false;
  while (!readme.empty()) {
    const auto end = readme.find('\n');
    const std::string_view line = trim(readme.substr(0, end));
    readme = end == std::string_view::npos ? std::string_view() : readme.substr(end + 1);
    if (!titled) {
      if (line.starts_with("# ")) {
        info.title = std::string(trim(line.substr(2)));
        titled = true;
      }
      continue;
    }
    if (line.empty()) {
      if (!info.summary.empty()) break;  // the end of the first paragraph
      continue;
    }
    if (line.starts_with("#")) break;  // a section before any paragraph
    if (!info.summary.empty()) info.summary += ' ';
    info.summary += line;
  }
  return info;
}

std::vector<ExampleInfo> ExampleCatalog::list() {
  std::vector<ExampleInfo> out;
  for (const auto& name : names()) {
    std::string_view readme;
    for (const auto& file : orsa_examples::embedded_files()) {
      if (file.path == name + "/README.md") readme = file.bytes;
    }
    out.push_back(describe(name, readme));
  }
  return out;
}

Result<std::vector<source::File>> ExampleCatalog::files(std::string_view name) {
  std::vector<source::File> files;
  for (const auto& file : orsa_examples::embedded_files()) {
    if (!name.empty() && example_of(file.path) == name) {
      files.push_back({std::string(file.path.substr(name.size() + 1)), std::string(file.bytes)});
    }
  }
  if (files.empty()) {
    std::string known;
    for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
    return fail(Error::invalid_argument("unknown example '" + std::string(name.substr(0, 64)) +
                                        "'; available: " + known));
  }
  return files;
}

}  // namespace orsa::services
