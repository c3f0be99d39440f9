#include "store/memory_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/random.hpp"

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
  std::map<std::string, ApiToken> tokens;
  std::map<std::string, Project> projects;
  std::map<std::string, Build> builds;
  std::map<std::string, Image> images;
  std::map<std::string, Deployment> deployments;
  std::vector<AuditEvent> audit;
};

namespace {

using State = MemoryStore::State;
using Lock = std::lock_guard<std::mutex>;

bool visible(const OwnerScope& scope, const std::string& owner_id) {
  return !scope.owner_id || *scope.owner_id == owner_id;
}

Error not_found(std::string_view what) {
  return Error::not_found(std::string(what) + " not found");
}

std::string username_of(const State& s, const std::string& user_id) {
  const auto it = s.users.find(user_id);
  return it == s.users.end() ? "" : it->second.username;
}

Project joined(const State& s, Project p) {
  p.owner_username = username_of(s, p.owner_id);
  return p;
}

Build joined(const State& s, Build b) {
  const auto& project = s.projects.at(b.project_id);
  b.owner_username = username_of(s, project.owner_id);
  b.project_name = project.name;
  return b;
}

Image joined(const State& s, Image i) {
  i.deployments = 0;
  i.running_deployments = 0;
  for (const auto& [id, d] : s.deployments) {
    if (d.image_id != i.id) continue;
    ++i.deployments;
    if (d.desired_running) ++i.running_deployments;
  }
  return i;
}

Deployment joined(const State& s, Deployment d) {
  const auto& project = s.projects.at(d.project_id);
  d.owner_username = username_of(s, project.owner_id);
  d.project_name = project.name;
  const auto image = s.images.find(d.image_id);
  d.image_tag = image == s.images.end() ? "" : image->second.tag;
  d.image_digest = image == s.images.end() ? "" : image->second.digest;
  return d;
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

class MemoryUsers final : public UserStore {
 public:
  explicit MemoryUsers(State& s) : s_(s) {}

  Result<User> create(const NewUser& in) override {
    Lock lock(s_.mu);
    for (const auto& [id, u] : s_.users) {
      if (u.username == in.username) {
        return fail(Error::conflict(fmt::format("username '{}' is already taken", in.username)));
      }
      if (u.email == in.email) return fail(Error::conflict("email is already registered"));
    }
    User user{new_id("usr"), in.username, in.email,           in.password_hash,
              in.role,       false,       s_.clock.now_unix()};
    s_.users.emplace(user.id, user);
    return user;
  }

  Result<User> find_by_id(std::string_view id) override {
    Lock lock(s_.mu);
    const auto it = s_.users.find(std::string(id));
    if (it == s_.users.end()) return fail(not_found("user"));
    return it->second;
  }

  Result<User> find_by_login(std::string_view login) override {
    Lock lock(s_.mu);
    for (const auto& [id, u] : s_.users) {
      if (u.username == login || u.email == login) return u;
    }
    return fail(not_found("user"));
  }

  Result<std::vector<User>> list() override {
    Lock lock(s_.mu);
    std::vector<User> out;
    for (const auto& [id, u] : s_.users) out.push_back(u);
    std::ranges::sort(out, {}, &User::username);
    return out;
  }

  Result<User> update(std::string_view id, std::optional<Role> role,
                      std::optional<bool> disabled) override {
    Lock lock(s_.mu);
    const auto it = s_.users.find(std::string(id));
    if (it == s_.users.end()) return fail(not_found("user"));
    if (role) it->second.role = *role;
    if (disabled) it->second.disabled = *disabled;
    return it->second;
  }

  Result<std::int64_t> count() override {
    Lock lock(s_.mu);
    return static_cast<std::int64_t>(s_.users.size());
  }

  Result<std::int64_t> change_password(std::string_view id,
                                       std::string_view password_hash) override {
    Lock lock(s_.mu);
    const auto it = s_.users.find(std::string(id));
    if (it == s_.users.end()) return fail(not_found("user"));
    it->second.password_hash = std::string(password_hash);
    return ++it->second.session_epoch;
  }

 private:
  State& s_;
};

class MemorySessions final : public SessionStore {
 public:
  explicit MemorySessions(State& s) : s_(s) {}

  Result<void> revoke(std::string_view session_id, std::string_view user_id,
                      std::int64_t expires_at) override {
    Lock lock(s_.mu);
    const auto now = s_.clock.now_unix();
    erase_where(s_.revoked, [&](const State::Revocation& r) { return r.expires_at <= now; });
    s_.revoked[std::string(session_id)] = {std::string(user_id), expires_at};
    return {};
  }

  Result<bool> is_revoked(std::string_view session_id) override {
    Lock lock(s_.mu);
    return s_.revoked.contains(std::string(session_id));
  }

 private:
  State& s_;
};

class MemoryTokens final : public TokenStore {
 public:
  explicit MemoryTokens(State& s) : s_(s) {}

  Result<ApiToken> create(const NewApiToken& in) override {
    Lock lock(s_.mu);
    if (!s_.users.contains(in.user_id)) return fail(not_found("user"));
    for (const auto& [id, t] : s_.tokens) {
      if (t.token_hash == in.token_hash) return fail(Error::conflict("token already exists"));
    }
    ApiToken token{new_id("tok"),       in.user_id,    in.name,      in.token_hash,
                   s_.clock.now_unix(), in.expires_at, std::nullopt, in.scopes};
    s_.tokens.emplace(token.id, token);
    return token;
  }

  Result<std::vector<ApiToken>> list(const OwnerScope& scope) override {
    Lock lock(s_.mu);
    std::vector<ApiToken> out;
    for (const auto& [id, t] : s_.tokens) {
      if (visible(scope, t.user_id)) out.push_back(t);
    }
    std::ranges::sort(out, [](const ApiToken& a, const ApiToken& b) {
      return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
    });
    return out;
  }

  Result<void> remove(const OwnerScope& scope, std::string_view id) override {
    Lock lock(s_.mu);
    const auto it = s_.tokens.find(std::string(id));
    if (it == s_.tokens.end() || !visible(scope, it->second.user_id)) {
      return fail(not_found("token"));
    }
    s_.tokens.erase(it);
    return {};
  }

  Result<ApiToken> find_by_hash(std::string_view token_hash) override {
    Lock lock(s_.mu);
    for (const auto& [id, t] : s_.tokens) {
      if (t.token_hash == token_hash) return t;
    }
    return fail(not_found("token"));
  }

  Result<void> touch(std::string_view id, std::int64_t at) override {
    Lock lock(s_.mu);
    const auto it = s_.tokens.find(std::string(id));
    if (it == s_.tokens.end()) return fail(not_found("token"));
    it->second.last_used_at = at;
    return {};
  }

 private:
  State& s_;
};

class MemoryProjects final : public ProjectStore {
 public:
  explicit MemoryProjects(State& s) : s_(s) {}

  Result<Project> create(const NewProject& in) override {
    Lock lock(s_.mu);
    if (!s_.users.contains(in.owner_id)) return fail(not_found("user"));
    const auto owner = username_of(s_, in.owner_id);
    for (const auto& [id, p] : s_.projects) {
      if (p.owner_id == in.owner_id && p.name == in.name) {
        return fail(Error::conflict(fmt::format("project '{}/{}' already exists", owner, in.name)));
      }
    }
    const auto now = s_.clock.now_unix();
    Project project{new_id("prj"), in.owner_id, owner, in.name, in.template_name, now, now};
    s_.projects.emplace(project.id, project);
    return project;
  }

  Result<std::vector<Project>> list(const OwnerScope& scope) override {
    Lock lock(s_.mu);
    return select(
        s_, s_.projects, [&](const Project& p) { return visible(scope, p.owner_id); },
        [](const Project& a, const Project& b) {
          return std::tie(a.owner_username, a.name) < std::tie(b.owner_username, b.name);
        });
  }

  Result<Project> find(const OwnerScope& scope, std::string_view owner_username,
                       std::string_view name) override {
    Lock lock(s_.mu);
    for (const auto& [id, p] : s_.projects) {
      if (p.name == name && username_of(s_, p.owner_id) == owner_username &&
          visible(scope, p.owner_id)) {
        return joined(s_, p);
      }
    }
    return fail(not_found("project"));
  }

  Result<Project> find_by_id(const OwnerScope& scope, std::string_view id) override {
    Lock lock(s_.mu);
    return find_scoped(s_, s_.projects, scope, id, "project");
  }

  // Its builds, images and deployments go with it (ON DELETE CASCADE).
  Result<void> remove(const OwnerScope& scope, std::string_view id) override {
    Lock lock(s_.mu);
    if (auto erased = erase_scoped(s_.projects, scope, id, "project"); !erased) return erased;
    const auto of_project = [&](const auto& row) { return row.project_id == id; };
    erase_where(s_.builds, of_project);
    erase_where(s_.images, of_project);
    erase_where(s_.deployments, of_project);
    return {};
  }

  Result<void> touch(std::string_view id, std::int64_t at) override {
    return change(id, [&](Project& p) { p.updated_at = at; });
  }

  Result<void> set_egress(std::string_view id, bool allowed) override {
    return change(id, [&](Project& p) { p.allow_egress = allowed; });
  }

 private:
  template <class F>
  Result<void> change(std::string_view id, F apply) {
    Lock lock(s_.mu);
    const auto it = s_.projects.find(std::string(id));
    if (it == s_.projects.end()) return fail(not_found("project"));
    apply(it->second);
    return {};
  }

  State& s_;
};

class MemoryBuilds final : public BuildStore {
 public:
  explicit MemoryBuilds(State& s) : s_(s) {}

  Result<Build> create(const NewBuild& in) override {
    Lock lock(s_.mu);
    const auto project = s_.projects.find(in.project_id);
    if (project == s_.projects.end()) return fail(not_found("project"));
    std::int64_t last = 0;
    for (const auto& [id, b] : s_.builds) {
      if (b.project_id == in.project_id) last = std::max(last, b.number);
    }
    Build build{.id = new_id("bld"),
                .project_id = in.project_id,
                .owner_id = project->second.owner_id,
                .number = last + 1,
                .commit_sha = in.commit_sha,
                .created_at = s_.clock.now_unix()};
    s_.builds.emplace(build.id, build);
    return joined(s_, build);
  }

  Result<Build> find(const OwnerScope& scope, std::string_view id) override {
    Lock lock(s_.mu);
    return find_scoped(s_, s_.builds, scope, id, "build");
  }

  Result<std::vector<Build>> list(const OwnerScope& scope, std::string_view project_id,
                                  std::size_t limit) override {
    Lock lock(s_.mu);
    return first_n(select(
                       s_, s_.builds,
                       [&](const Build& b) {
                         return b.project_id == project_id && visible(scope, b.owner_id);
                       },
                       [](const Build& a, const Build& b) { return a.number > b.number; }),
                   limit);
  }

  Result<std::vector<Build>> with_status(BuildStatus status) override {
    Lock lock(s_.mu);
    return select(
        s_, s_.builds, [&](const Build& b) { return b.status == status; },
        [](const Build& a, const Build& b) {
          return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
        });
  }

  Result<Build> update(std::string_view id, const BuildUpdate& update) override {
    Lock lock(s_.mu);
    const auto it = s_.builds.find(std::string(id));
    if (it == s_.builds.end()) return fail(not_found("build"));
    Build& build = it->second;
    if (update.from && build.status != *update.from) {
      return fail(
          Error::conflict("build is already " + std::string(build_status_name(build.status))));
    }
    build.status = update.status;
    build.error = update.error;
    if (update.started_at) build.started_at = update.started_at;
    if (update.finished_at) build.finished_at = update.finished_at;
    if (update.image_id) build.image_id = update.image_id;
    return joined(s_, build);
  }

 private:
  State& s_;
};

class MemoryImages final : public ImageStore {
 public:
  explicit MemoryImages(State& s) : s_(s) {}

  Result<Image> create(const NewImage& in) override {
    Lock lock(s_.mu);
    if (!s_.projects.contains(in.project_id)) return fail(not_found("project"));
    for (const auto& [id, i] : s_.images) {
      if (i.project_id == in.project_id && i.tag == in.tag) {
        return fail(
            Error::conflict(fmt::format("image {}:{} already exists", in.repository, in.tag)));
      }
    }
    Image image{new_id("img"), in.owner_id, in.project_id, in.build_id,   in.repository,
                in.tag,        in.digest,   in.size,       in.commit_sha, s_.clock.now_unix()};
    s_.images.emplace(image.id, image);
    return image;
  }

  Result<Image> find(const OwnerScope& scope, std::string_view id) override {
    Lock lock(s_.mu);
    return find_scoped(s_, s_.images, scope, id, "image");
  }

  Result<std::vector<Image>> list(const OwnerScope& scope,
                                  std::optional<std::string_view> project_id) override {
    Lock lock(s_.mu);
    return select(
        s_, s_.images,
        [&](const Image& i) {
          return visible(scope, i.owner_id) && (!project_id || i.project_id == *project_id);
        },
        [](const Image& a, const Image& b) {
          return std::tie(a.created_at, a.id) > std::tie(b.created_at, b.id);
        });
  }

  Result<void> remove(const OwnerScope& scope, std::string_view id) override {
    Lock lock(s_.mu);
    return erase_scoped(s_.images, scope, id, "image");
  }

 private:
  State& s_;
};

class MemoryDeployments final : public DeploymentStore {
 public:
  explicit MemoryDeployments(State& s) : s_(s) {}

  Result<Deployment> create(const NewDeployment& in) override {
    Lock lock(s_.mu);
    const auto project = s_.projects.find(in.project_id);
    if (project == s_.projects.end()) return fail(not_found("project"));
    const auto now = s_.clock.now_unix();
    Deployment deployment{.id = new_id("dep"),
                          .owner_id = project->second.owner_id,
                          .project_id = in.project_id,
                          .image_id = in.image_id,
                          .visibility = in.visibility,
                          .memory_mb = in.memory_mb,
                          .cpu_millis = in.cpu_millis,
                          .env_json = in.env_json,
                          .created_at = now,
                          .updated_at = now};
    s_.deployments.emplace(deployment.id, deployment);
    return joined(s_, deployment);
  }

  Result<Deployment> find(const OwnerScope& scope, std::string_view id) override {
    Lock lock(s_.mu);
    return find_scoped(s_, s_.deployments, scope, id, "deployment");
  }

  Result<std::vector<Deployment>> list(const OwnerScope& scope,
                                       std::optional<std::string_view> project_id) override {
    Lock lock(s_.mu);
    return select(
        s_, s_.deployments,
        [&](const Deployment& d) {
          return visible(scope, d.owner_id) && (!project_id || d.project_id == *project_id);
        },
        [](const Deployment& a, const Deployment& b) {
          return std::tie(a.created_at, a.id) > std::tie(b.created_at, b.id);
        });
  }

  Result<Deployment> save(const Deployment& in) override {
    Lock lock(s_.mu);
    const auto it = s_.deployments.find(in.id);
    if (it == s_.deployments.end()) return fail(not_found("deployment"));
    Deployment& d = it->second;
    d.status = in.status;
    d.status_reason = in.status_reason;
    d.desired_running = in.desired_running;
    d.container_id = in.container_id;
    d.host_port = in.host_port;
    d.upstream_host = in.upstream_host;
    d.restarts = in.restarts;
    d.started_at = in.started_at;
    d.last_request_at = in.last_request_at;
    d.updated_at = s_.clock.now_unix();
    return joined(s_, d);
  }

  Result<void> remove(const OwnerScope& scope, std::string_view id) override {
    Lock lock(s_.mu);
    return erase_scoped(s_.deployments, scope, id, "deployment");
  }

  Result<void> record_last_request(std::string_view id, std::int64_t at) override {
    Lock lock(s_.mu);
    const auto it = s_.deployments.find(std::string(id));
    if (it == s_.deployments.end()) return {};
    auto& last = it->second.last_request_at;
    if (!last || *last < at) last = at;
    return {};
  }

  Result<std::int64_t> count_using_image(std::string_view image_id) override {
    Lock lock(s_.mu);
    return static_cast<std::int64_t>(std::ranges::count_if(
        s_.deployments, [&](const auto& entry) { return entry.second.image_id == image_id; }));
  }

 private:
  State& s_;
};

class MemoryAudit final : public AuditStore {
 public:
  explicit MemoryAudit(State& s) : s_(s) {}

  Result<void> record(const AuditEvent& in) override {
    Lock lock(s_.mu);
    AuditEvent event = in;
    if (event.id.empty()) event.id = new_id("aud");
    if (event.at == 0) event.at = s_.clock.now_unix();
    s_.audit.push_back(std::move(event));
    return {};
  }

  Result<std::vector<AuditEvent>> list(std::size_t limit) override {
    Lock lock(s_.mu);
    auto out = s_.audit;
    std::ranges::sort(out, [](const AuditEvent& a, const AuditEvent& b) {
      return std::tie(a.at, a.id) > std::tie(b.at, b.id);
    });
    return first_n(std::move(out), limit);
  }

 private:
  State& s_;
};

}  // namespace

struct MemoryStore::Repositories {
  explicit Repositories(State& s)
      : users(s),
        sessions(s),
        tokens(s),
        projects(s),
        builds(s),
        images(s),
        deployments(s),
        audit(s) {}

  MemoryUsers users;
  MemorySessions sessions;
  MemoryTokens tokens;
  MemoryProjects projects;
  MemoryBuilds builds;
  MemoryImages images;
  MemoryDeployments deployments;
  MemoryAudit audit;
};

MemoryStore::MemoryStore(const Clock& clock)
    : state_(std::make_unique<State>(clock)),
      repositories_(std::make_unique<Repositories>(*state_)) {}

MemoryStore::~MemoryStore() = default;

UserStore& MemoryStore::users() {
  return repositories_->users;
}
SessionStore& MemoryStore::sessions() {
  return repositories_->sessions;
}
TokenStore& MemoryStore::tokens() {
  return repositories_->tokens;
}
ProjectStore& MemoryStore::projects() {
  return repositories_->projects;
}
BuildStore& MemoryStore::builds() {
  return repositories_->builds;
}
ImageStore& MemoryStore::images() {
  return repositories_->images;
}
DeploymentStore& MemoryStore::deployments() {
  return repositories_->deployments;
}
AuditStore& MemoryStore::audit() {
  return repositories_->audit;
}

}  // namespace orsa::store
