#include "cli/workspace.hpp"

#include <sodium.h>

#include <algorithm>
#include <sstream>

#include "core/files.hpp"
#include "core/sodium.hpp"
#include "toml_text.hpp"

namespace orsa::cli {
namespace fs = std::filesystem;

Result<fs::path> find_project_root(const fs::path& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec);
  if (ec) return fail(Error::internal("cannot resolve " + start.string() + ": " + ec.message()));
  for (;;) {
    if (fs::is_regular_file(dir / kLinkFile, ec)) return dir;
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return fail(Error::invalid_argument(
      "not in a project folder (no .orsa/project.toml here or above): run `orsa init` or "
      "`orsa clone` first"));
}

Result<Link> load_link(const fs::path& root) {
  const fs::path path = root / kLinkFile;
  auto text = read_file(path);
  if (!text) return fail(text.error());
  auto parsed = parse_toml(*text, path.string());
  if (!parsed) return fail(parsed.error());
  Link link;
  for (const auto& [key, value] : *parsed) {
    std::string* field = nullptr;
    if (key == "server") field = &link.server;
    if (key == "owner") field = &link.owner;
    if (key == "name") field = &link.name;
    if (key == "base") field = &link.base;
    if (key == "files" && value.is_table()) {
      for (const auto& [file, hash] : *value.as_table()) {
        if (!hash.is_string())
          return fail(Error::invalid_argument(path.string() + ": files values must be strings"));
        link.files.emplace(std::string(file.str()), hash.as_string()->get());
      }
      continue;
    }
    if (field == nullptr || !value.is_string())
      return fail(
          Error::invalid_argument(path.string() + ": unexpected key " + std::string(key.str())));
    *field = value.as_string()->get();
  }
  if (link.server.empty() || link.owner.empty() || link.name.empty())
    return fail(Error::invalid_argument(path.string() + ": server, owner and name are required"));
  return link;
}

Result<void> save_link(const fs::path& root, const Link& link) {
  toml::table table;
  table.insert("server", link.server);
  table.insert("owner", link.owner);
  table.insert("name", link.name);
  table.insert("base", link.base);
  toml::table files;
  for (const auto& [path, hash] : link.files) files.insert(path, hash);
  table.insert("files", std::move(files));
  std::ostringstream out;
  out << "# Written by orsa: the project this folder is linked to and the commit it is "
         "based on.\n"
      << table << "\n";
  std::error_code ec;
  fs::create_directories(root / kLinkDir, ec);
  if (ec) return fail(Error::internal("cannot create " + (root / kLinkDir).string()));
  return write_file_atomic(root / kLinkFile, out.str(), 0644);
}

std::string sha256_hex(std::string_view bytes) {
  ensure_sodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

Result<IgnoreRules> folder_rules(const fs::path& root) {
  std::error_code ec;
  if (!fs::exists(root / kIgnoreFile, ec)) return IgnoreRules::with_defaults("");
  auto text = read_file(root / kIgnoreFile);
  if (!text) return fail(text.error());
  return IgnoreRules::with_defaults(*text);
}

Result<FileHashes> scan_folder(const fs::path& root, const IgnoreRules& rules,
                               const PushLimits& limits) {
  FileHashes out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) return fail(Error::internal("cannot read " + root.string() + ": " + ec.message()));
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return fail(Error::internal("cannot read " + root.string() + ": " + ec.message()));
    const fs::path relative = it->path().lexically_relative(root);
    const std::string path = relative.generic_string();
    const bool is_dir = it->is_directory(ec) && !it->is_symlink(ec);
    if (rules.ignored(path, is_dir)) {
      if (is_dir) it.disable_recursion_pending();
      continue;
    }
    // Symlinks and special files have no place in a project (the server
    // refuses them in archives too).
    if (is_dir || !it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    if (path.size() > limits.max_path_bytes)
      return fail(Error::too_large(path + ": the path is longer than " +
                                   std::to_string(limits.max_path_bytes) + " bytes"));
    const auto size = it->file_size(ec);
    if (size > limits.max_file_bytes)
      return fail(Error::too_large(
          path + " is " + std::to_string(size) + " bytes, over the server's limit of " +
          std::to_string(limits.max_file_bytes) + " per file (add it to .orsaignore?)"));
    if (out.size() == limits.max_files)
      return fail(Error::too_large("more than " + std::to_string(limits.max_files) +
                                   " files (add folders to .orsaignore?)"));
    auto bytes = read_file(it->path());
    if (!bytes) return fail(bytes.error());
    out.emplace(path, sha256_hex(*bytes));
  }
  return out;
}

Result<void> add_tracked_files(const fs::path& root, const FileHashes& base, FileHashes& local) {
  for (const auto& [path, hash] : base) {
    if (local.contains(path)) continue;
    std::error_code ec;
    const fs::path file = root / path;
    if (fs::is_symlink(file, ec) || !fs::is_regular_file(file, ec)) continue;
    auto bytes = read_file(file);
    if (!bytes) return fail(bytes.error());
    local.emplace(path, sha256_hex(*bytes));
  }
  return {};
}

std::vector<Change> diff(const FileHashes& base, const FileHashes& local) {
  std::vector<Change> changes;
  for (const auto& [path, hash] : local) {
    const auto was = base.find(path);
    if (was == base.end()) {
      changes.push_back({path, ChangeKind::kAdded});
    } else if (was->second != hash) {
      changes.push_back({path, ChangeKind::kModified});
    }
  }
  for (const auto& [path, hash] : base)
    if (!local.contains(path)) changes.push_back({path, ChangeKind::kDeleted});
  std::sort(changes.begin(), changes.end(),
            [](const Change& a, const Change& b) { return a.path < b.path; });
  return changes;
}

std::string_view change_word(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kModified:
      return "modified";
    case ChangeKind::kDeleted:
      return "deleted";
  }
  return "changed";
}

bool is_utf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    std::size_t extra = 0;
    std::uint32_t min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      min = 0x10000;
    } else {
      return false;
    }
    if (i + extra >= bytes.size()) return false;  // cut short
    std::uint32_t code = c & (0x3F >> extra);
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(bytes[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace orsa::cli
