#include "memory_tables.hpp"

// The fake's projects and what hangs off them: builds, images, deployments.
namespace orsa::store::memory {
namespace {

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

  Result<std::vector<Project>> page(const OwnerScope& scope, const std::optional<ProjectKey>& after,
                                    std::size_t limit) override {
    auto all = list(scope);
    if (!all) return all;
    std::erase_if(*all, [&](const Project& p) {
      return after &&
             std::tie(p.owner_username, p.name) <= std::tie(after->owner_username, after->name);
    });
    return first_n(std::move(*all), limit);
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
    erase_where(s_.runs, of_project);
    erase_where(s_.consumer_keys, of_project);
    std::erase_if(s_.usage, [&](const auto& entry) { return entry.first.project_id == id; });
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
    if (update.runner) build.runner = *update.runner;
    if (update.status == BuildStatus::kRunning) ++build.attempts;
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

  Result<std::vector<Image>> page(const OwnerScope& scope, const ImageQuery& q) override {
    auto all =
        list(scope, q.project_id ? std::optional<std::string_view>(*q.project_id) : std::nullopt);
    if (!all) return all;
    std::erase_if(*all, [&](const Image& i) {
      return q.after && std::tie(i.created_at, i.id) >= std::tie(q.after->created_at, q.after->id);
    });
    return first_n(std::move(*all), q.limit);
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
                          .timeout_s = in.timeout_s,
                          .max_body_bytes = in.max_body_bytes,
                          .workers = in.workers,
                          .replicas = in.replicas,
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

}  // namespace

std::unique_ptr<ProjectStore> projects(State& s) {
  return std::make_unique<MemoryProjects>(s);
}

std::unique_ptr<BuildStore> builds(State& s) {
  return std::make_unique<MemoryBuilds>(s);
}

std::unique_ptr<ImageStore> images(State& s) {
  return std::make_unique<MemoryImages>(s);
}

std::unique_ptr<DeploymentStore> deployments(State& s) {
  return std::make_unique<MemoryDeployments>(s);
}

}  // namespace orsa::store::memory
