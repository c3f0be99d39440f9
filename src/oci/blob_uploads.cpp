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
  u.ended = true;
  impl_->forget_upload(id);
  ::unlink(session_record(u.file).c_str());
  Result<Digest> actual = u.hasher ? Result<Digest>(u.hasher->finish()) : hash_file(u.file);
  if (!actual) {
    ::unlink(u.file.c_str());
    return fail(actual.error());
  }
  if (*actual != expected) {
    ::unlink(u.file.c_str());
    return fail(digest_mismatch(expected, *actual));
  }
  {
    UniqueFd fd(::open(u.file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.ok()) ::fsync(fd.get());
  }
  auto stored = impl_->store_verified_file(u.file, *actual, expected);
  if (!stored) ::unlink(u.file.c_str());
  return stored;
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
