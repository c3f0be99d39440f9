#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "blob_store_impl.hpp"
#include "core/random.hpp"
#include "core/strings.hpp"

namespace orsa::oci {

Result<std::string> BlobStore::start_upload(UploadOwner owner) {
  std::lock_guard lock(impl_->uploads_mu);
  impl_->reap_idle_locked();
  if (impl_->uploads.size() >= impl_->limits.max_open_uploads) {
    return fail(too_many_uploads("on this registry"));
  }
  if (!owner.user.empty() &&
      impl_->open_by(owner.user) >= impl_->limits.max_open_uploads_per_user) {
    return fail(too_many_uploads("for this user (at most " +
                                 std::to_string(impl_->limits.max_open_uploads_per_user) + ")"));
  }
  auto upload = std::make_shared<Upload>();
  std::string id = random_hex(kUploadIdBytes);
  upload->file = impl_->root / "uploads" / id;
  UniqueFd fd(::open(upload->file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.ok()) return fail(io_error("cannot start a blob upload"));
  if (!owner.repo.empty()) {
    if (auto ok = write_atomic(impl_->tmp(), session_record(upload->file), encode_owner(owner));
        !ok) {
      ::unlink(upload->file.c_str());
      return fail(ok.error());
    }
  }
  upload->owner = std::move(owner);
  impl_->uploads.emplace(id, std::move(upload));
  return id;
}

Result<UploadOwner> BlobStore::upload_owner(std::string_view id) const {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  std::lock_guard lock((*upload)->mu);
  if ((*upload)->ended) return fail(upload_unknown());
  return (*upload)->owner;
}

Result<std::int64_t> BlobStore::append_upload(std::string_view id, std::string_view chunk,
                                              std::optional<std::int64_t> expected_offset) {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  std::lock_guard lock((*upload)->mu);
  return impl_->append_locked(**upload, chunk, expected_offset);
}

Result<std::int64_t> BlobStore::append_upload_file(std::string_view id, const fs::path& chunk,
                                                   std::optional<std::int64_t> expected_offset) {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  std::lock_guard lock((*upload)->mu);
  return impl_->append_file_locked(**upload, chunk, expected_offset);
}

Result<std::int64_t> BlobStore::upload_size(std::string_view id) const {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  std::lock_guard lock((*upload)->mu);
  if ((*upload)->ended) return fail(upload_unknown());
  return (*upload)->size.load();
}

Result<Digest> BlobStore::finish_upload(std::string_view id, const Digest& expected,
                                        std::string_view final_chunk) {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  Upload& u = **upload;
  std::lock_guard lock(u.mu);
  if (auto appended = impl_->append_locked(u, final_chunk, std::nullopt); !appended) {
    return fail(appended.error());
  }
  return impl_->finish_locked(u, id, expected);
}

Result<Digest> BlobStore::finish_upload_file(std::string_view id, const Digest& expected,
                                             const fs::path& final_chunk) {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  Upload& u = **upload;
  std::lock_guard lock(u.mu);
  if (u.size.load() > 0 || u.ended) {
    if (auto appended = impl_->append_file_locked(u, final_chunk, std::nullopt); !appended) {
      return fail(appended.error());
    }
    return impl_->finish_locked(u, id, expected);
  }
  // A monolithic upload (POST, then one PUT with the body): the spooled body
  // is the blob, so the session's empty file is dropped instead of copied into.
  std::error_code ec;
  const auto length = static_cast<std::int64_t>(fs::file_size(final_chunk, ec));
  if (ec) return fail(io_error("cannot read an uploaded chunk"));
  if (auto ok = impl_->check_append(u, length, std::nullopt); !ok) return fail(ok.error());
  impl_->end_locked(u, id);
  ::unlink(u.file.c_str());
  auto actual = hash_file(final_chunk);
  if (!actual) return fail(actual.error());
  if (*actual != expected) return fail(digest_mismatch(expected, *actual));
  sync_file(final_chunk);
  return impl_->store_verified_file(final_chunk, *actual, expected);
}

Result<void> BlobStore::cancel_upload(std::string_view id) {
  auto upload = impl_->find_upload(id);
  if (!upload) return fail(upload.error());
  std::lock_guard lock((*upload)->mu);
  if ((*upload)->ended) return fail(upload_unknown());
  impl_->forget_upload(id);
  Impl::discard(**upload);
  return {};
}

std::size_t BlobStore::reap_idle_uploads() {
  std::lock_guard lock(impl_->uploads_mu);
  return impl_->reap_idle_locked();
}

std::size_t BlobStore::open_uploads(std::string_view user) const {
  std::lock_guard lock(impl_->uploads_mu);
  return impl_->open_by(user);
}

}  // namespace orsa::oci
