#include "store/memory_store.hpp"

#include "memory_tables.hpp"

namespace orsa::store {

struct MemoryStore::Repositories {
  explicit Repositories(State& s)
      : users(memory::users(s)),
        sessions(memory::sessions(s)),
        tokens(memory::tokens(s)),
        projects(memory::projects(s)),
        builds(memory::builds(s)),
        images(memory::images(s)),
        deployments(memory::deployments(s)),
        audit(memory::audit(s)),
        runs(memory::runs(s)),
        consumer_keys(memory::consumer_keys(s)),
        usage(memory::usage(s)),
        identities(memory::identities(s)),
        leases(memory::leases(s)) {}

  std::unique_ptr<UserStore> users;
  std::unique_ptr<SessionStore> sessions;
  std::unique_ptr<TokenStore> tokens;
  std::unique_ptr<ProjectStore> projects;
  std::unique_ptr<BuildStore> builds;
  std::unique_ptr<ImageStore> images;
  std::unique_ptr<DeploymentStore> deployments;
  std::unique_ptr<AuditStore> audit;
  std::unique_ptr<RunStore> runs;
  std::unique_ptr<ConsumerKeyStore> consumer_keys;
  std::unique_ptr<UsageStore> usage;
  std::unique_ptr<IdentityStore> identities;
  std::unique_ptr<LeaseStore> leases;
};

MemoryStore::MemoryStore(const Clock& clock)
    : state_(std::make_unique<State>(clock)),
      repositories_(std::make_unique<Repositories>(*state_)) {}

MemoryStore::~MemoryStore() = default;

UserStore& MemoryStore::users() {
  return *repositories_->users;
}
SessionStore& MemoryStore::sessions() {
  return *repositories_->sessions;
}
TokenStore& MemoryStore::tokens() {
  return *repositories_->tokens;
}
ProjectStore& MemoryStore::projects() {
  return *repositories_->projects;
}
BuildStore& MemoryStore::builds() {
  return *repositories_->builds;
}
ImageStore& MemoryStore::images() {
  return *repositories_->images;
}
DeploymentStore& MemoryStore::deployments() {
  return *repositories_->deployments;
}
AuditStore& MemoryStore::audit() {
  return *repositories_->audit;
}
RunStore& MemoryStore::runs() {
  return *repositories_->runs;
}

ConsumerKeyStore& MemoryStore::consumer_keys() {
  return *repositories_->consumer_keys;
}
UsageStore& MemoryStore::usage() {
  return *repositories_->usage;
}
IdentityStore& MemoryStore::identities() {
  return *repositories_->identities;
}
LeaseStore& MemoryStore::leases() {
  return *repositories_->leases;
}

}  // namespace orsa::store
