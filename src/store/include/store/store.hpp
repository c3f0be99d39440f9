#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "store/audit.hpp"
#include "store/builds.hpp"
#include "store/consumers.hpp"
#include "store/deployments.hpp"
#include "store/identities.hpp"
#include "store/images.hpp"
#include "store/leases.hpp"
#include "store/models.hpp"
#include "store/projects.hpp"
#include "store/runs.hpp"
#include "store/sessions.hpp"
#include "store/tokens.hpp"
#include "store/users.hpp"

namespace orsa::store {

/// The database port: one repository per table, handed out by reference
/// (they live as long as the Store), so a service can take only the ones it
/// needs. The SQL implementation serves SQLite and PostgreSQL with the same
/// SQL and migrations. Every method is thread-safe and blocking (call from
/// worker threads). Unique violations are kConflict, missing rows kNotFound,
/// database failures kUnavailable/kInternal.
class Store {
 public:
  virtual ~Store() = default;

  /// Cheap round trip for /readyz.
  virtual Result<void> ping() = 0;

  virtual UserStore& users() = 0;
  virtual SessionStore& sessions() = 0;
  virtual TokenStore& tokens() = 0;
  virtual ProjectStore& projects() = 0;
  virtual BuildStore& builds() = 0;
  virtual ImageStore& images() = 0;
  virtual DeploymentStore& deployments() = 0;
  virtual RunStore& runs() = 0;
  virtual AuditStore& audit() = 0;
  virtual ConsumerKeyStore& consumer_keys() = 0;
  virtual UsageStore& usage() = 0;
  virtual IdentityStore& identities() = 0;
  virtual LeaseStore& leases() = 0;
};

/// Opens `sqlite:PATH` or `postgresql://…` (libpq URI), applies pending
/// migrations, and returns the store. Fails with a message naming the URL
/// scheme or the migration that failed. Passwords in the URL never appear in
/// errors or logs.
Result<std::unique_ptr<Store>> open_store(std::string_view url, const Clock& clock,
                                          std::size_t pool_size = 4);

}  // namespace orsa::store
