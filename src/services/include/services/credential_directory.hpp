#pragma once

#include "auth/credential_directory.hpp"
#include "store/sessions.hpp"
#include "store/tokens.hpp"
#include "store/users.hpp"

namespace orsa::services {

/// auth::CredentialDirectory over the store's users, tokens and revoked
/// sessions.
class StoreCredentialDirectory final : public auth::CredentialDirectory {
 public:
  StoreCredentialDirectory(store::UserStore& users, store::TokenStore& tokens,
                           store::SessionStore& sessions)
      : users_(users), tokens_(tokens), sessions_(sessions) {}

  Result<auth::DirectoryUser> find_user_by_id(std::string_view user_id) override;
  Result<auth::DirectoryUser> find_user_by_login(std::string_view login) override;
  Result<auth::DirectoryToken> find_token_by_hash(std::string_view token_hash) override;
  void touch_token(std::string_view token_id, std::int64_t now) override;
  Result<bool> is_session_revoked(std::string_view session_id) override;

 private:
  store::UserStore& users_;
  store::TokenStore& tokens_;
  store::SessionStore& sessions_;
};

}  // namespace orsa::services
