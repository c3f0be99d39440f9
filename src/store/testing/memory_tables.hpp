#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/random.hpp"
#include "store/memory_store.hpp"

// The fake's tables and the helpers its repositories share (private to the fake).
namespace orsa::store {

// The tables, keyed by id. Joined fields (owner_username, project_name, image
// tag, usage counts) are filled in on every read, as the SQL joins do.
struct MemoryStore::State {
  explicit State(const Clock& c) : clock(c) {}

  struct Revocation {
    std::string user_id;
    std::int64_t expires_at = 0;
  };

  const Clock& clock;
  std::mutex mu;
  std::map<std::string, User> users;
  std::map<std::string, Revocation> revoked;
  std::map<std::string, Identity> identities;
  std::map<std::string, PendingLogin> pending_logins;  // by state hash
  std::map<std::string, ApiToken> tokens;
  std::map<std::string, Project> projects;
  std::map<std::string, Build> builds;
  std::map<std::string, Image> images;
  std::map<std::string, Deployment> deployments;
  std::map<std::string, Run> runs;
  std::int64_t last_run_seq = 0;
  std::map<std::string, ConsumerKey> consumer_keys;
  std::map<UsageKey, UsageCounters> usage;
  std::vector<AuditEvent> audit;
  std::map<std::string, Lease> leases;
};

namespace memory {

using State = MemoryStore::State;
using Lock = std::lock_guard<std::mutex>;

inline bool visible(const OwnerScope& scope, const std::string& owner_id) {
  return !scope.owner_id || *scope.owner_id == owner_id;
}

inline Error not_found(std::string_view what) {
  return Error::not_found(std::string(what) + " not found");
}

inline std::string username_of(const State& s, const std::string& user_id) {
  const auto it = s.users.find(user_id);
  return it == s.users.end() ? "" : it->second.username;
}

inline Project joined(const State& s, Project p) {
  p.owner_username = username_of(s, p.owner_id);
  return p;
}

inline Build joined(const State& s, Build b) {
  const auto& project = s.projects.at(b.project_id);
  b.owner_username = username_of(s, project.owner_id);
  b.project_name = project.name;
  return b;
}

inline Image joined(const State& s, Image i) {
  i.deployments = 0;
  i.running_deployments = 0;
  for (const auto& [id, d] : s.deployments) {
    if (d.image_id != i.id) continue;
    ++i.deployments;
    if (d.desired_running) ++i.running_deployments;
  }
  return i;
}

inline Deployment joined(const State& s, Deployment d) {
  const auto& project = s.projects.at(d.project_id);
  d.owner_username = username_of(s, project.owner_id);
  d.project_name = project.name;
  const auto image = s.images.find(d.image_id);
  d.image_tag = image == s.images.end() ? "" : image->second.tag;
  d.image_digest = image == s.images.end() ? "" : image->second.digest;
  return d;
}

inline ConsumerKey joined(const State&, ConsumerKey k) {
  return k;
}

inline Run joined(const State& s, Run r) {
  r.owner_username = username_of(s, r.owner_id);
  r.project_name = s.projects.at(r.project_id).name;
  r.submitter_username = username_of(s, r.submitter_id);
  return r;
}

// Every row of `table` that `keep` accepts, joined, in `before` order.
template <class T, class Keep, class Before>
std::vector<T> select(const State& s, const std::map<std::string, T>& table, Keep keep,
                      Before before) {
  std::vector<T> out;
  for (const auto& [id, row] : table) {
    if (keep(row)) out.push_back(joined(s, row));
  }
  std::sort(out.begin(), out.end(), before);
  return out;
}

template <class T>
Result<T> find_scoped(const State& s, const std::map<std::string, T>& table,
                      const OwnerScope& scope, std::string_view id, std::string_view what) {
  const auto it = table.find(std::string(id));
  if (it == table.end() || !visible(scope, it->second.owner_id)) return fail(not_found(what));
  return joined(s, it->second);
}

template <class T>
Result<void> erase_scoped(std::map<std::string, T>& table, const OwnerScope& scope,
                          std::string_view id, std::string_view what) {
  const auto it = table.find(std::string(id));
  if (it == table.end() || !visible(scope, it->second.owner_id)) return fail(not_found(what));
  table.erase(it);
  return {};
}

template <class T, class Pred>
void erase_where(std::map<std::string, T>& table, Pred pred) {
  std::erase_if(table, [&](const auto& entry) { return pred(entry.second); });
}

template <class T>
std::vector<T> first_n(std::vector<T> rows, std::size_t limit) {
  if (rows.size() > limit) rows.resize(limit);
  return rows;
}

std::unique_ptr<UserStore> users(State& s);
std::unique_ptr<SessionStore> sessions(State& s);
std::unique_ptr<TokenStore> tokens(State& s);
std::unique_ptr<AuditStore> audit(State& s);
std::unique_ptr<ProjectStore> projects(State& s);
std::unique_ptr<BuildStore> builds(State& s);
std::unique_ptr<ImageStore> images(State& s);
std::unique_ptr<DeploymentStore> deployments(State& s);
std::unique_ptr<RunStore> runs(State& s);
std::unique_ptr<ConsumerKeyStore> consumer_keys(State& s);
std::unique_ptr<UsageStore> usage(State& s);
std::unique_ptr<IdentityStore> identities(State& s);
std::unique_ptr<LeaseStore> leases(State& s);

}  // namespace memory
}  // namespace orsa::store
