#pragma once

#include <memory>

#include "core/clock.hpp"
#include "store/store.hpp"

namespace orsa::store {

/// An in-memory Store for unit tests of the services: the same semantics as
/// the SQL store (owner scoping answers kNotFound for others' rows, unique
/// keys answer kConflict, the same orderings and cascades), checked by the
/// same contract tests. Thread-safe; nothing survives the object.
class MemoryStore final : public Store {
 public:
  explicit MemoryStore(const Clock& clock);
  ~MemoryStore() override;

  Result<void> ping() override { return {}; }
  UserStore& users() override;
  SessionStore& sessions() override;
  TokenStore& tokens() override;
  ProjectStore& projects() override;
  BuildStore& builds() override;
  ImageStore& images() override;
  DeploymentStore& deployments() override;
  AuditStore& audit() override;
  RunStore& runs() override;
  ConsumerKeyStore& consumer_keys() override;
  UsageStore& usage() override;
  IdentityStore& identities() override;
  LeaseStore& leases() override;

  // Defined in the fake's sources; named here so its repositories can share them.
  struct State;
  struct Repositories;

 private:
  std::unique_ptr<State> state_;
  std::unique_ptr<Repositories> repositories_;
};

}  // namespace orsa::store
