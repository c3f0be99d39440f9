// Seeds a stopped orsa-deployer's database through ORSA's own store (the
// same code and validation as the API, not SQL by hand), for the cost
// curves of bench/curves/run.sh:
//   curves_seed --database URL --owner NAME --users N --projects N --images N
//               [--age-days D]
// N-1 more users (they cannot log in), N projects of OWNER ("p00001"…),
// and N images, each with its succeeded build, in OWNER's first project,
// all D days old so the collector's age rule applies to them.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/role.hpp"
#include "store/store.hpp"

namespace {

class FixedClock final : public orsa::Clock {
 public:
  explicit FixedClock(std::int64_t at) : at_(at) {}
  std::int64_t now_unix() const override { return at_; }

 private:
  std::int64_t at_;
};

struct Args {
  std::string database;
  std::string owner;
  int users = 0;
  int projects = 0;
  int images = 0;
  int age_days = 30;
};

template <class T>
T must(orsa::Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "curves_seed: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

void seed(orsa::store::Store& store, const Args& args) {
  using namespace orsa::store;
  const User owner = must(store.users().find_by_login(args.owner), "owner");
  for (int i = 1; i < args.users; ++i) {
    must(store.users().create({fmt::format("u{:05}", i), fmt::format("u{:05}@example.org", i), "!",
                               orsa::Role::kDeveloper}),
         "user");
  }
  Project first;
  for (int i = 1; i <= args.projects; ++i) {
    auto p = must(store.projects().create({owner.id, fmt::format("p{:05}", i), "python-flask"}),
                  "project");
    if (i == 1) first = p;
  }
  for (int i = 1; i <= args.images; ++i) {
    const std::string commit = fmt::format("{:040x}", i);
    const Build build = must(store.builds().create({first.id, commit}), "build");
    must(store.builds().update(build.id, {.status = BuildStatus::kSucceeded}), "build update");
    must(store.images().create({owner.id, first.id, build.id, owner.username + "/" + first.name,
                                std::to_string(build.number), fmt::format("sha256:{:064x}", i),
                                1 << 20, commit}),
         "image");
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"curves_seed: seed an orsa-deployer database through the store"};
  Args args;
  app.add_option("--database", args.database, "sqlite:PATH or postgresql://…")->required();
  app.add_option("--owner", args.owner, "The user who owns the projects and images")->required();
  app.add_option("--users", args.users, "Users in all (the owner included)");
  app.add_option("--projects", args.projects, "Projects of the owner");
  app.add_option("--images", args.images, "Images in the owner's first project");
  app.add_option("--age-days", args.age_days, "Age of the seeded rows");
  CLI11_PARSE(app, argc, argv);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const FixedClock clock(now - std::int64_t{args.age_days} * 86400);
  auto store = must(orsa::store::open_store(args.database, clock), "database");
  const auto began = std::chrono::steady_clock::now();
  seed(*store, args);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - began)
                      .count();
  std::printf("seeded %d users, %d projects, %d images in %lld ms\n", args.users, args.projects,
              args.images, static_cast<long long>(ms));
  return 0;
}
