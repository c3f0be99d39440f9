#include "services/credential_directory.hpp"

#include <tuple>

namespace orsa::services {
namespace {

Result<auth::DirectoryUser> to_directory(const Result<store::User>& user) {
  if (!user) return fail(user.error());
  return auth::DirectoryUser{.id = user->id,
                             .username = user->username,
                             .role = user->role,
                             .session_epoch = user->session_epoch,
                             .disabled = user->disabled};
}

}  // namespace

Result<auth::DirectoryUser> StoreCredentialDirectory::find_user_by_id(std::string_view user_id) {
  return to_directory(users_.find_by_id(user_id));
}

Result<auth::DirectoryUser> StoreCredentialDirectory::find_user_by_login(std::string_view login) {
  return to_directory(users_.find_by_login(login));
}

Result<auth::DirectoryToken> StoreCredentialDirectory::find_token_by_hash(
    std::string_view token_hash) {
  auto token = tokens_.find_by_hash(token_hash);
  if (!token) return fail(token.error());
  return auth::DirectoryToken{.id = token->id,
                              .user_id = token->user_id,
                              .scopes = token->scopes,
                              .expires_at = token->expires_at,
                              .last_used_at = token->last_used_at};
}

void StoreCredentialDirectory::touch_token(std::string_view token_id, std::int64_t now) {
  std::ignore = tokens_.touch(token_id, now);  // best effort bookkeeping
}

Result<bool> StoreCredentialDirectory::is_session_revoked(std::string_view session_id) {
  return sessions_.is_revoked(session_id);
}

}  // namespace orsa::services
