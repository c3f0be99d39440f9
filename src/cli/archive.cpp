#include "cli/archive.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

#include "core/files.hpp"

namespace orsa::cli {
namespace {

struct WriterDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

la_ssize_t append_to_string(archive*, void* out, const void* bytes, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(bytes), size);
  return static_cast<la_ssize_t>(size);
}

Error archive_error(archive* a, const std::string& what) {
  const char* detail = archive_error_string(a);
  return Error::internal(what + ": " + (detail != nullptr ? detail : "libarchive failed"));
}

}  // namespace

Result<std::string> folder_tar_gz(const std::filesystem::path& root, const FileHashes& files,
                                  const PushLimits& limits) {
  std::string out;
  std::unique_ptr<archive, WriterDeleter> a(archive_write_new());
  if (!a) return fail(Error::internal("cannot create an archive writer"));
  if (archive_write_add_filter_gzip(a.get()) != ARCHIVE_OK ||
      archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
      archive_write_open(a.get(), &out, nullptr, append_to_string, nullptr) != ARCHIVE_OK)
    return fail(archive_error(a.get(), "cannot start the archive"));
  std::size_t total = 0;
  for (const auto& [path, hash] : files) {
    auto bytes = read_file(root / path);
    if (!bytes) return fail(bytes.error());
    total += bytes->size();
    if (total > limits.max_repo_bytes)
      return fail(Error::too_large("the project's files are over the server's limit of " +
                                   std::to_string(limits.max_repo_bytes) + " bytes in all"));
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(bytes->size()));
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), bytes->data(), bytes->size()) !=
            static_cast<la_ssize_t>(bytes->size()))
      return fail(archive_error(a.get(), "cannot archive " + path));
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return fail(archive_error(a.get(), "cannot finish the archive"));
  return out;
}

}  // namespace orsa::cli
