#include "oci/layer_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>

#include "core/strings.hpp"
#include "core/unique_fd.hpp"

namespace orsa::oci {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kChunkSize = 64 * 1024;
// Pinned so the same tar always compresses to the same bytes (with the same
// zlib build): level 6, a 32 KiB window, +16 for a gzip wrapper, memLevel 8.
// zlib's own gzip header has no name, mtime 0 and OS 3 (unix).
constexpr int kGzipLevel = 6;
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kGzipMemLevel = 8;
// The ustar mtime field holds 11 octal digits.
constexpr std::int64_t kMaxEpoch = 077777777777;
constexpr std::uint32_t kDirMode = 0755;
constexpr std::uint32_t kExecMode = 0755;
constexpr std::uint32_t kFileMode = 0644;
constexpr std::uint32_t kSymlinkMode = 0777;
// Shared scratch directories (/tmp, /var/tmp) must stay writable by the
// unprivileged service user: a sticky directory keeps exactly 1777.
constexpr std::uint32_t kStickyDirMode = 01777;

enum class EntryType { kFile, kDirectory, kSymlink };

// One tar entry, from memory or (for regular files) streamed from disk.
struct Entry {
  std::string path;
  EntryType type = EntryType::kFile;
  std::uint32_t mode = kFileMode;
  std::string content;
  fs::path source;  // non-empty: read the file's bytes from here
  std::int64_t size = 0;
  std::string link_target;
  std::uint32_t owner = 0;  // uid and gid
};

std::uint32_t normalised_mode(EntryType type, std::uint32_t mode) {
  switch (type) {
    case EntryType::kDirectory:
      return (mode & 01000) != 0 ? kStickyDirMode : kDirMode;
    case EntryType::kSymlink:
      return kSymlinkMode;
    case EntryType::kFile:
      break;
  }
  return (mode & 0111) != 0 ? kExecMode : kFileMode;
}

std::string printable(std::string_view path) {
  // Stop at a NUL so the message stays a C string.
  return std::string(path.substr(0, path.find('\0')));
}

Error bad_path(std::string_view path, std::string_view why) {
  return Error::invalid_argument("layer path '" + printable(path) + "' " + std::string(why));
}

Result<void> validate_path(std::string_view path) {
  if (path.empty()) return fail(Error::invalid_argument("layer path must not be empty"));
  if (path.find('\0') != std::string_view::npos) return fail(bad_path(path, "contains NUL"));
  if (path.front() == '/') return fail(bad_path(path, "must be relative"));
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part = path.substr(start, end - start);
    if (part.empty()) return fail(bad_path(path, "has an empty component"));
    if (part == "..") return fail(bad_path(path, "must not contain '..'"));
    if (part == ".") return fail(bad_path(path, "must not contain '.'"));
    start = end + 1;
  }
  return {};
}

Result<Entry> entry_from(LayerFile file) {
  Entry e;
  e.path = std::move(file.path);
  if (file.directory) {
    if (!file.symlink_target.empty() || !file.content.empty()) {
      return fail(bad_path(e.path, "is a directory with content or a link target"));
    }
    e.type = EntryType::kDirectory;
  } else if (!file.symlink_target.empty()) {
    if (!file.content.empty()) return fail(bad_path(e.path, "is a symlink with content"));
    if (file.symlink_target.find('\0') != std::string::npos) {
      return fail(bad_path(e.path, "has a link target containing NUL"));
    }
    e.type = EntryType::kSymlink;
    e.link_target = std::move(file.symlink_target);
  } else {
    e.size = static_cast<std::int64_t>(file.content.size());
    e.content = std::move(file.content);
  }
  e.mode = normalised_mode(e.type, file.mode);
  return e;
}

Result<std::string> normalised_prefix(std::string_view prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.empty()) return std::string();
  if (auto ok = validate_path(prefix); !ok) {
    return fail(Error::invalid_argument("layer prefix: " + ok.error().message));
  }
  return std::string(prefix);
}

// Adds a directory entry for every missing ancestor; fails when an ancestor
// exists but is a file or a symlink.
Result<void> add_implied_parents(std::map<std::string, Entry>& by_path) {
  std::vector<std::string> paths;
  paths.reserve(by_path.size());
  for (const auto& [path, ignored] : by_path) paths.push_back(path);
  for (const std::string& path : paths) {
    for (auto slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      const std::string parent = path.substr(0, slash);
      const auto it = by_path.find(parent);
      if (it == by_path.end()) {
        by_path.emplace(parent,
                        Entry{.path = parent, .type = EntryType::kDirectory, .mode = kDirMode});
      } else if (it->second.type != EntryType::kDirectory) {
        return fail(bad_path(parent, "is not a directory but '" + path + "' is inside it"));
      }
    }
  }
  return {};
}

// Validates, prefixes, adds implied parent directories and sorts by path in
// byte order; a parent is a prefix of its children, so it sorts first.
Result<std::vector<Entry>> arrange(std::vector<Entry> entries, std::string_view prefix) {
  auto pre = normalised_prefix(prefix);
  if (!pre) return fail(std::move(pre.error()));
  std::map<std::string, Entry> by_path;
  for (Entry& e : entries) {
    if (auto ok = validate_path(e.path); !ok) return fail(std::move(ok.error()));
    std::string full = pre->empty() ? e.path : *pre + "/" + e.path;
    if (by_path.contains(full)) return fail(bad_path(e.path, "appears more than once"));
    e.path = full;
    by_path.emplace(std::move(full), std::move(e));
  }
  if (auto ok = add_implied_parents(by_path); !ok) return fail(std::move(ok.error()));
  std::vector<Entry> sorted;
  sorted.reserve(by_path.size());
  for (auto& [path, e] : by_path) sorted.push_back(std::move(e));
  return sorted;
}

// Gzips the tar stream into the sink (or, for an uncompressed tar, passes it
// through), hashing both sides as bytes pass.
class GzipHashingSink {
 public:
  GzipHashingSink(const ByteSink& sink, LayerCompression compression)
      : sink_(sink), compress_(compression == LayerCompression::kGzip), out_(kChunkSize, '\0') {}
  ~GzipHashingSink() {
    if (initialized_) deflateEnd(&z_);
  }
  GzipHashingSink(const GzipHashingSink&) = delete;
  GzipHashingSink& operator=(const GzipHashingSink&) = delete;

  Result<void> init() {
    if (!compress_) return {};
    if (deflateInit2(&z_, kGzipLevel, Z_DEFLATED, kGzipWindowBits, kGzipMemLevel,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
      return fail(Error::internal("zlib: deflateInit2 failed"));
    }
    initialized_ = true;
    return {};
  }

  Result<void> write(std::string_view tar_bytes) {
    diff_id_.update(tar_bytes);
    if (!compress_) return emit(tar_bytes);
    return deflate_all(tar_bytes, Z_NO_FLUSH);
  }

  Result<LayerInfo> finish() {
    if (compress_) {
      if (auto ok = deflate_all({}, Z_FINISH); !ok) return fail(std::move(ok.error()));
    }
    return LayerInfo{.digest = digest_.finish(), .diff_id = diff_id_.finish(), .size = size_};
  }

 private:
  Result<void> deflate_all(std::string_view in, int flush) {
    // zlib's API takes non-const input but never writes through it.
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    int status = Z_OK;
    do {
      z_.next_out = reinterpret_cast<Bytef*>(out_.data());
      z_.avail_out = static_cast<uInt>(out_.size());
      status = deflate(&z_, flush);
      if (status == Z_STREAM_ERROR) return fail(Error::internal("zlib: deflate failed"));
      const std::string_view produced(out_.data(), out_.size() - z_.avail_out);
      if (auto ok = emit(produced); !ok) return ok;
    } while (z_.avail_out == 0 || (flush == Z_FINISH && status != Z_STREAM_END));
    return {};
  }

  Result<void> emit(std::string_view bytes) {
    if (bytes.empty()) return {};
    digest_.update(bytes);
    size_ += static_cast<std::int64_t>(bytes.size());
    return sink_(bytes);
  }

  const ByteSink& sink_;
  const bool compress_;
  std::string out_;
  z_stream z_{};
  bool initialized_ = false;
  Sha256 diff_id_;
  Sha256 digest_;
  std::int64_t size_ = 0;
};

// What libarchive's write callback reaches: the gzip stage and the first
// error it returned (libarchive itself only sees "-1").
struct CallbackContext {
  GzipHashingSink* gzip = nullptr;
  std::optional<Error> error;
};

la_ssize_t on_tar_bytes(struct archive*, void* data, const void* buffer, size_t length) {
  auto* ctx = static_cast<CallbackContext*>(data);
  auto ok = ctx->gzip->write(std::string_view(static_cast<const char*>(buffer), length));
  if (!ok) {
    ctx->error = std::move(ok.error());
    return -1;
  }
  return static_cast<la_ssize_t>(length);
}

// libarchive converts names through the locale (nl_langinfo, mbrtowc), so a
// layer would depend on the builder's environment: in the "C" locale non-ASCII
// names fail. Pinning C.UTF-8 for this thread only (uselocale) makes UTF-8
// names go into PAX records unchanged; other bytes fall back to
// hdrcharset=BINARY for that entry alone.
class ScopedUtf8Locale {
 public:
  ScopedUtf8Locale() : locale_(newlocale(LC_ALL_MASK, "C.UTF-8", nullptr)) {
    if (locale_ != nullptr) previous_ = uselocale(locale_);
  }
  ~ScopedUtf8Locale() {
    if (locale_ == nullptr) return;
    uselocale(previous_);
    freelocale(locale_);
  }
  ScopedUtf8Locale(const ScopedUtf8Locale&) = delete;
  ScopedUtf8Locale& operator=(const ScopedUtf8Locale&) = delete;
  bool ok() const { return locale_ != nullptr; }

 private:
  locale_t locale_;
  locale_t previous_ = nullptr;
};

// Writes a deterministic tar into a CallbackContext.
class TarWriter {
 public:
  explicit TarWriter(CallbackContext& ctx) : ctx_(ctx), archive_(archive_write_new()) {}
  ~TarWriter() { archive_write_free(archive_); }
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  Result<void> open() {
    if (archive_ == nullptr) return fail(Error::internal("libarchive: out of memory"));
    // pax_restricted writes plain ustar headers and adds a PAX header only for
    // what ustar cannot hold (long or non-ASCII names, huge sizes); we never set
    // atime/ctime/uname/gname, so no varying records appear.
    if (!locale_.ok()) return fail(Error::internal("the C.UTF-8 locale is unavailable"));
    if (archive_write_set_format_pax_restricted(archive_) != ARCHIVE_OK ||
        archive_write_add_filter_none(archive_) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(archive_, 1) != ARCHIVE_OK) {
      return failure("configure");
    }
    if (archive_write_open(archive_, &ctx_, nullptr, on_tar_bytes, nullptr) != ARCHIVE_OK) {
      return failure("open");
    }
    return {};
  }

  Result<void> write(const Entry& e, std::int64_t epoch) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                        &archive_entry_free);
    archive_entry_set_pathname(entry.get(), e.path.c_str());
    archive_entry_set_mtime(entry.get(), epoch, 0);
    archive_entry_set_uid(entry.get(), e.owner);
    archive_entry_set_gid(entry.get(), e.owner);
    archive_entry_set_perm(entry.get(), e.mode);
    switch (e.type) {
      case EntryType::kDirectory:
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        break;
      case EntryType::kSymlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_symlink(entry.get(), e.link_target.c_str());
        break;
      case EntryType::kFile:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_size(entry.get(), e.size);
        break;
    }
    // ARCHIVE_WARN: a name that is not UTF-8 was stored as raw bytes.
    if (archive_write_header(archive_, entry.get()) < ARCHIVE_WARN) return failure(e.path);
    if (e.type != EntryType::kFile) return {};
    return e.source.empty() ? write_data(e.content, e.path) : copy_file(e);
  }

  Result<void> close() {
    if (archive_write_close(archive_) != ARCHIVE_OK) return failure("close");
    return {};
  }

 private:
  Result<void> write_data(std::string_view bytes, const std::string& path) {
    while (!bytes.empty()) {
      const std::size_t n = std::min(bytes.size(), kChunkSize);
      if (archive_write_data(archive_, bytes.data(), n) < 0) return failure(path);
      bytes.remove_prefix(n);
    }
    return {};
  }

  // Streams a file in chunks; exactly `e.size` bytes, as the header promised.
  Result<void> copy_file(const Entry& e) {
    UniqueFd fd(::open(e.source.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) return io_error(e.source, errno);
    std::string buffer(kChunkSize, '\0');
    std::int64_t left = e.size;
    while (left > 0) {
      const auto want = static_cast<std::size_t>(std::min<std::int64_t>(left, kChunkSize));
      const ssize_t got = ::read(fd.get(), buffer.data(), want);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return io_error(e.source, errno);
      if (got == 0) {
        return fail(Error::conflict("file '" + e.source.string() + "' shrank while being read"));
      }
      if (auto ok =
              write_data(std::string_view(buffer.data(), static_cast<std::size_t>(got)), e.path);
          !ok) {
        return ok;
      }
      left -= got;
    }
    return {};
  }

  static std::unexpected<Error> io_error(const fs::path& path, int error) {
    return fail(Error::internal("reading '" + path.string() + "': " + errno_message(error)));
  }

  std::unexpected<Error> failure(std::string_view what) {
    if (ctx_.error) return fail(*ctx_.error);
    const char* message = archive_error_string(archive_);
    return fail(Error::internal("libarchive: " + std::string(what) + ": " +
                                (message != nullptr ? message : "unknown error")));
  }

  CallbackContext& ctx_;
  ScopedUtf8Locale locale_;  // first in, last out: spans the archive's life
  struct archive* archive_;
};

Result<LayerInfo> write_entries(const std::vector<Entry>& entries, std::int64_t epoch,
                                const ByteSink& sink,
                                LayerCompression compression = LayerCompression::kGzip) {
  if (epoch < 0 || epoch > kMaxEpoch) {
    return fail(
        Error::invalid_argument("layer epoch " + std::to_string(epoch) + " is out of range"));
  }
  GzipHashingSink gzip(sink, compression);
  if (auto ok = gzip.init(); !ok) return fail(std::move(ok.error()));
  CallbackContext ctx{.gzip = &gzip};
  TarWriter tar(ctx);
  if (auto ok = tar.open(); !ok) return fail(std::move(ok.error()));
  for (const Entry& e : entries) {
    if (auto ok = tar.write(e, epoch); !ok) return fail(std::move(ok.error()));
  }
  if (auto ok = tar.close(); !ok) return fail(std::move(ok.error()));
  return gzip.finish();
}

Error walk_error(const fs::path& path, const std::error_code& ec) {
  return Error::internal("reading layer tree at '" + path.string() + "': " + ec.message());
}

// One entry for a directory-tree member, or nullopt for what layers skip.
Result<std::optional<Entry>> entry_from_disk(const fs::directory_entry& member,
                                             const fs::path& root) {
  std::error_code ec;
  const fs::file_status status = member.symlink_status(ec);
  if (ec) return fail(walk_error(member.path(), ec));
  Entry e;
  e.path = member.path().lexically_relative(root).generic_string();
  const auto perms = static_cast<std::uint32_t>(status.permissions());
  switch (status.type()) {
    case fs::file_type::directory:
      e.type = EntryType::kDirectory;
      break;
    case fs::file_type::regular:
      // Hard links become independent regular files (the content is stored
      // once per name), which keeps entries order-independent.
      e.size = static_cast<std::int64_t>(member.file_size(ec));
      if (ec) return fail(walk_error(member.path(), ec));
      e.source = member.path();
      break;
    case fs::file_type::symlink:
      e.type = EntryType::kSymlink;
      e.link_target = fs::read_symlink(member.path(), ec).string();
      if (ec) return fail(walk_error(member.path(), ec));
      break;
    default:
      // Devices, sockets and fifos: container runtimes create /dev themselves,
      // and the others have no meaning in an image.
      return std::optional<Entry>();
  }
  e.mode = normalised_mode(e.type, perms);
  return std::optional<Entry>(std::move(e));
}

Result<std::vector<Entry>> collect_tree(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(root, ec))) {
    return fail(Error::invalid_argument("layer root '" + root.string() + "' is not a directory"));
  }
  std::vector<Entry> entries;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    auto entry = entry_from_disk(*it, root);
    if (!entry) return fail(std::move(entry.error()));
    if (auto& found = *entry) entries.push_back(std::move(*found));
  }
  if (ec) return fail(walk_error(root, ec));
  return entries;
}

}  // namespace

Result<LayerInfo> write_layer(std::vector<LayerFile> files, std::int64_t epoch,
                              const ByteSink& sink, std::string_view prefix) {
  std::vector<Entry> entries;
  entries.reserve(files.size());
  for (LayerFile& file : files) {
    auto e = entry_from(std::move(file));
    if (!e) return fail(std::move(e.error()));
    entries.push_back(std::move(*e));
  }
  auto arranged = arrange(std::move(entries), prefix);
  if (!arranged) return fail(std::move(arranged.error()));
  return write_entries(*arranged, epoch, sink);
}

Result<LayerInfo> write_layer_from_dir(const std::filesystem::path& root, std::int64_t epoch,
                                       const ByteSink& sink, const TreeLayerOptions& options) {
  auto entries = collect_tree(root);
  if (!entries) return fail(std::move(entries.error()));
  auto arranged = arrange(std::move(*entries), options.prefix);
  if (!arranged) return fail(std::move(arranged.error()));
  for (Entry& e : *arranged) {
    if (auto owner = options.owners.find(e.path); owner != options.owners.end()) {
      e.owner = owner->second;
    }
  }
  return write_entries(*arranged, epoch, sink, options.compression);
}

}  // namespace orsa::oci
