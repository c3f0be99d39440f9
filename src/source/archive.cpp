#include <archive.h>
#include <archive_entry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <set>

#include "internal.hpp"
#include "source/repos.hpp"

namespace orsa::source {
namespace {

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

constexpr std::size_t kChunk = 64 * 1024;

Error not_tar_gz() {
  return Error::invalid_argument("upload must be a .tar.gz archive");
}

// libarchive's messages describe the bytes, not the server, but they are
// logged rather than shown so the caller sees one stable sentence.
Error corrupt(archive* a) {
  spdlog::warn("rejected archive upload: {}",
               archive_error_string(a) ? archive_error_string(a) : "?");
  return Error::invalid_argument("upload is not a valid .tar.gz archive");
}

// Rejects every entry that is not a plain file; returns false for directories,
// which are implied by the files' paths.
Result<bool> is_wanted(archive_entry* entry, std::string_view name) {
  if (archive_entry_hardlink(entry)) {
    return fail(Error::invalid_argument("hard links are not allowed: " + internal::quote(name)));
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG:
      return true;
    case AE_IFDIR:
      return false;
    case AE_IFLNK:
      return fail(Error::invalid_argument("symlinks are not allowed: " + internal::quote(name)));
    default:
      return fail(Error::invalid_argument("only regular files are allowed: " +
                                          internal::quote(name) + " is a device, fifo or socket"));
  }
}

class Reader {
 public:
  Reader(archive* a, const Limits& limits) : a_(a), limits_(limits) {}

  // Reads the current entry's bytes, stopping as soon as a limit is passed
  // so that a highly compressed upload never expands beyond the limits.
  Result<std::string> read_data(const std::string& path) {
    std::string content;
    char buf[kChunk];
    for (;;) {
      const la_ssize_t n = archive_read_data(a_, buf, sizeof buf);
      if (n == 0) return content;
      if (n < 0) return fail(corrupt(a_));
      const auto bytes = static_cast<std::size_t>(n);
      if (content.size() + bytes > limits_.max_file_bytes) {
        return fail(Error::too_large("file " + internal::quote(path) + " exceeds the limit of " +
                                     std::to_string(limits_.max_file_bytes) + " bytes"));
      }
      total_ += bytes;
      if (total_ > limits_.max_repo_bytes) {
        return fail(Error::too_large("the archive's files exceed the project limit of " +
                                     std::to_string(limits_.max_repo_bytes) + " bytes"));
      }
      content.append(buf, bytes);
    }
  }

 private:
  archive* a_;
  const Limits& limits_;
  std::size_t total_ = 0;
};

Result<File> read_file_entry(archive_entry* entry, const std::string& path, Reader& reader,
                             const Limits& limits) {
  if (archive_entry_size_is_set(entry) && archive_entry_size(entry) >= 0 &&
      static_cast<std::size_t>(archive_entry_size(entry)) > limits.max_file_bytes) {
    return fail(Error::too_large("file " + internal::quote(path) + " is " +
                                 std::to_string(archive_entry_size(entry)) +
                                 " bytes; the limit is " + std::to_string(limits.max_file_bytes)));
  }
  auto content = reader.read_data(path);
  if (!content) return fail(content.error());
  return File{path, std::move(*content)};
}

}  // namespace

Result<std::vector<File>> extract_tar_gz(std::string_view bytes, const Limits& limits) {
  // Checking the gzip magic first gives plain tars and zips a clear answer;
  // libarchive would otherwise read an uncompressed tar happily.
  if (bytes.size() < 2 || static_cast<unsigned char>(bytes[0]) != 0x1f ||
      static_cast<unsigned char>(bytes[1]) != 0x8b) {
    return fail(not_tar_gz());
  }
  ArchivePtr a(archive_read_new());
  if (!a) return fail(Error::internal("archive reader allocation failed"));
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return fail(not_tar_gz());
  }

  std::vector<File> files;
  std::set<std::string> seen;
  Reader reader(a.get(), limits);
  // Directory entries do not count as files, so bound all entries as well.
  const std::size_t max_entries = 2 * limits.max_files + 16;
  for (std::size_t entries = 0;; ++entries) {
    archive_entry* entry = nullptr;
    const int rc = archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return fail(entries == 0 ? not_tar_gz() : corrupt(a.get()));
    }
    if (entries >= max_entries) {
      return fail(Error::too_large("the archive exceeds the limit of " +
                                   std::to_string(max_entries) + " entries"));
    }
    const char* raw_name = archive_entry_pathname(entry);
    const std::string name = raw_name ? raw_name : "";
    auto wanted = is_wanted(entry, name);
    if (!wanted) return fail(wanted.error());
    if (!*wanted) continue;
    auto path = validate_path(name, limits);
    if (!path) return fail(path.error());
    if (!seen.insert(*path).second) {
      return fail(Error::invalid_argument("path " + internal::quote(*path) +
                                          " appears more than once in the archive"));
    }
    if (files.size() >= limits.max_files) {
      return fail(Error::too_large("the archive exceeds the limit of " +
                                   std::to_string(limits.max_files) + " files"));
    }
    auto file = read_file_entry(entry, *path, reader, limits);
    if (!file) return fail(file.error());
    files.push_back(std::move(*file));
  }
  if (files.empty()) return fail(Error::invalid_argument("the archive contains no files"));
  return files;
}

}  // namespace orsa::source

namespace orsa::source {
namespace {

struct WriterFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
using WriterPtr = std::unique_ptr<archive, WriterFree>;

la_ssize_t append_to_string(archive*, void* data, const void* buffer, size_t length) {
  static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

}  // namespace

Result<std::string> pack_tar_gz(const std::vector<File>& files, std::int64_t mtime) {
  std::vector<const File*> sorted;
  sorted.reserve(files.size());
  for (const auto& f : files) sorted.push_back(&f);
  std::sort(sorted.begin(), sorted.end(),
            [](const File* a, const File* b) { return a->path < b->path; });
  // The archive goes to a builder on this host that unpacks it at once, so
  // it is stored, not deflated (level 0: a gzip stream of stored blocks, the
  // cost of a CRC; level 6 spent 1 s per 50 MB here), into a string sized
  // for the tar up front.
  std::size_t tar_bytes = 1024;                                        // the end-of-archive blocks
  for (const File* f : sorted) tar_bytes += 1024 + f->content.size();  // header + padding
  std::string out;
  out.reserve(tar_bytes + tar_bytes / 1000 + 64);  // deflate's worst case
  WriterPtr writer(archive_write_new());
  archive* a = writer.get();
  if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
      archive_write_set_filter_option(a, "gzip", "compression-level", "0") != ARCHIVE_OK ||
      archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_open(a, &out, nullptr, append_to_string, nullptr) != ARCHIVE_OK) {
    return fail(Error::internal("cannot start a tar.gz archive"));
  }
  for (const File* f : sorted) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                   archive_entry_free);
    archive_entry_set_pathname(entry.get(), f->path.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(f->content.size()));
    archive_entry_set_mtime(entry.get(), static_cast<time_t>(mtime), 0);
    if (archive_write_header(a, entry.get()) != ARCHIVE_OK ||
        archive_write_data(a, f->content.data(), f->content.size()) !=
            static_cast<la_ssize_t>(f->content.size())) {
      return fail(Error::internal("cannot write " + internal::quote(f->path) + " to an archive"));
    }
  }
  if (archive_write_close(a) != ARCHIVE_OK) return fail(Error::internal("cannot finish archive"));
  return out;
}

}  // namespace orsa::source
