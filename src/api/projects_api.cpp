// Routes for projects, their files, commits and archive uploads.

#include <charconv>
#include <string>

#include "api/api.hpp"
#include "api_support.hpp"
#include "auth/policy.hpp"
#include "core/files.hpp"
#include "core/strings.hpp"
#include "services/examples.hpp"
#include "services/templates.hpp"
#include "views.hpp"

namespace orsa::api {
namespace {

constexpr std::size_t kMaxChangesPerCommit = 1000;
constexpr std::size_t kDefaultHistory = 50;
constexpr std::size_t kFileBodyLimit = 2 * 1024 * 1024;      // one file, as source::Limits
constexpr std::size_t kArchiveBodyLimit = 50 * 1024 * 1024;  // a whole repository

Json project_view_json(const services::ProjectView& view) {
  Json out = to_json(view.project);
  out["head"] = view.head ? to_json(*view.head) : Json(nullptr);
  return out;
}

Json commit_json(const source::CommitInfo& commit) {
  return {{"commit", to_json(commit)}};
}

std::string_view ref_of(const http::Request& req) {
  return req.query_param("ref").value_or("");
}

std::string_view message_of(const http::Request& req) {
  return req.query_param("message").value_or("");
}

std::string content_type_for(std::string_view path) {
  const auto dot = path.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "json") return "application/json";
  if (ext == "py" || ext == "toml" || ext == "md" || ext == "txt" || ext == "cfg" ||
      ext == "yaml" || ext == "yml" || ext == "csv") {
    return "text/plain; charset=utf-8";
  }
  return "application/octet-stream";
}

Result<source::FileChange> parse_change(const Json& item, std::size_t index) {
  const std::string where = "changes[" + std::to_string(index) + "]";
  if (!item.is_object()) return fail(Error::invalid_argument(where + " must be an object"));
  for (const auto& [key, value] : item.items()) {
    if (key != "path" && key != "content" && key != "delete") {
      return fail(Error::invalid_argument(concat({where, " has unknown field '", key, "'"})));
    }
  }
  const auto path = item.find("path");
  if (path == item.end() || !path->is_string()) {
    return fail(Error::invalid_argument(where + ".path must be a string"));
  }
  const auto content = item.find("content");
  const auto del = item.find("delete");
  const bool deleting = del != item.end() && del->is_boolean() && del->get<bool>();
  if (del != item.end() && !del->is_boolean()) {
    return fail(Error::invalid_argument(where + ".delete must be a boolean"));
  }
  if (deleting == (content != item.end())) {
    return fail(
        Error::invalid_argument(where + " needs exactly one of 'content' or 'delete': true"));
  }
  if (deleting) return source::FileChange{path->get<std::string>(), std::nullopt};
  if (!content->is_string())
    return fail(Error::invalid_argument(where + ".content must be a string"));
  return source::FileChange{path->get<std::string>(), content->get<std::string>()};
}

struct CommitRequest {
  std::vector<source::FileChange> changes;
  std::string message;
  std::optional<std::string> expected_head;
};

Result<CommitRequest> parse_commit(const http::Request& req) {
  auto body = parse_json_body(req);
  if (!body) return fail(body.error());
  if (auto ok = body->reject_unknown({"message", "changes", "expected_head"}); !ok)
    return fail(ok.error());
  CommitRequest out;
  auto message = body->optional_string("message");
  if (!message) return fail(message.error());
  out.message = message->value_or("");
  auto head = body->optional_string("expected_head");
  if (!head) return fail(head.error());
  out.expected_head = *head;
  if (auto header = if_match(req)) out.expected_head = std::string(*header);
  const Json* changes = body->find("changes");
  if (changes == nullptr || !changes->is_array() || changes->empty()) {
    return fail(Error::invalid_argument("field 'changes' must be a non-empty array"));
  }
  if (changes->size() > kMaxChangesPerCommit) {
    return fail(Error::too_large("a commit may change at most 1000 files"));
  }
  for (std::size_t i = 0; i < changes->size(); ++i) {
    auto change = parse_change((*changes)[i], i);
    if (!change) return fail(change.error());
    out.changes.push_back(std::move(*change));
  }
  return out;
}

http::Response create_project(services::Projects& projects, http::Request& req,
                              const auth::Principal& who) {
  auto body = parse_json_body(req);
  if (!body) return http::error_response(body.error());
  if (auto ok = body->reject_unknown({"name", "template", "example"}); !ok)
    return http::error_response(ok.error());
  auto name = body->required_string("name");
  if (!name) return http::error_response(name.error());
  auto tmpl = body->optional_string("template");
  if (!tmpl) return http::error_response(tmpl.error());
  auto example = body->optional_string("example");
  if (!example) return http::error_response(example.error());
  const std::string template_name = tmpl->value_or(std::string(services::kDefaultTemplate));
  const std::optional<std::string>& example_name = *example;
  if (!example_name) {
    return respond(projects.create(who, *name, template_name, caller_of(req)), 201,
                   project_view_json);
  }
  // An example's files are built by the default template.
  if (template_name != services::kDefaultTemplate) {
    return http::error_response(Error::invalid_argument(
        "'example' and 'template' are exclusive: an example builds with the default template '" +
        std::string(services::kDefaultTemplate) + "'"));
  }
  return respond(projects.create_from_example(who, *name, *example_name, caller_of(req)), 201,
                 project_view_json);
}

Json examples_json(const std::vector<services::ExampleInfo>& examples) {
  Json list = Json::array();
  for (const auto& e : examples)
    list.push_back({{"name", e.name}, {"title", e.title}, {"summary", e.summary}});
  return {{"examples", list}};
}

http::Response read_file(services::Projects& projects, http::Request& req,
                         const auth::Principal& who) {
  auto file = projects.read(who, project_ref_of(req), ref_of(req), req.param("path"));
  if (!file) return http::error_response(file.error());
  auto res = http::text_response(200, std::move(file->bytes), content_type_for(req.param("path")));
  res.set_header("ETag", "\"" + file->commit + "\"");
  res.set_header("X-Orsa-Commit", file->commit);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Cache-Control", "no-cache");
  return res;
}

// `curl --data-binary @missing.py` sends nothing after a warning that `-s`
// hides, so an empty body is far more often an accident than an intent:
// writing an empty file takes an explicit `?allow_empty=1`.
Result<void> check_not_accidentally_empty(const http::Request& req) {
  if (!req.body.empty()) return {};
  const auto allow = req.query_param("allow_empty").value_or("");
  if (allow == "1" || allow == "true") return {};
  return fail(Error::invalid_argument(
      "the request body is empty; to write an empty file add ?allow_empty=1 (curl sends an "
      "empty body when the file after --data-binary @ does not exist)"));
}

http::Response write_file(services::Projects& projects, http::Request& req,
                          const auth::Principal& who, bool remove) {
  if (!remove) {
    if (auto ok = check_not_accidentally_empty(req); !ok) return http::error_response(ok.error());
  }
  std::vector<source::FileChange> changes{{std::string(req.param("path")), std::nullopt}};
  if (!remove) changes.front().content = std::move(req.body);
  const std::string fallback = (remove ? "Delete " : "Update ") + std::string(req.param("path"));
  const std::string_view message = message_of(req).empty() ? fallback : message_of(req);
  return respond(
      projects.commit(who, project_ref_of(req), changes, message, if_match(req), caller_of(req)),
      200, commit_json);
}

http::Response post_commit(services::Projects& projects, http::Request& req,
                           const auth::Principal& who) {
  auto input = parse_commit(req);
  if (!input) return http::error_response(input.error());
  std::optional<std::string_view> head;
  if (const auto& expected = input->expected_head) head = *expected;
  return respond(projects.commit(who, project_ref_of(req), input->changes, input->message, head,
                                 caller_of(req)),
                 201, commit_json);
}

Json history_json(const std::vector<source::CommitInfo>& commits) {
  Json list = Json::array();
  for (const auto& c : commits) list.push_back(to_json(c));
  return {{"commits", list}};
}

std::string_view status_name(source::DiffStatus status) {
  switch (status) {
    case source::DiffStatus::kAdded:
      return "added";
    case source::DiffStatus::kDeleted:
      return "deleted";
    case source::DiffStatus::kRenamed:
      return "renamed";
    case source::DiffStatus::kModified:
      break;
  }
  return "modified";
}

Json diff_json(const source::CommitDiff& diff) {
  Json files = Json::array();
  for (const auto& f : diff.files) {
    Json file = {{"path", f.path},
                 {"status", status_name(f.status)},
                 {"binary", f.binary},
                 {"additions", f.additions},
                 {"deletions", f.deletions}};
    if (f.old_path) file["old_path"] = *f.old_path;
    if (f.patch) file["patch"] = *f.patch;
    files.push_back(std::move(file));
  }
  return {{"commit", to_json(diff.commit)}, {"files", files}, {"truncated", diff.truncated}};
}

// The archive arrives spooled to disk and is read through a mapping, so the
// compressed bytes never sit on the heap.
http::Response upload_archive(services::Projects& projects, http::Request& req,
                              const auth::Principal& who) {
  std::optional<MappedFile> mapped;
  std::string_view archive = req.body;
  if (!req.body_file.empty()) {
    auto file = MappedFile::open(req.body_file);
    if (!file) return http::error_response(file.error());
    mapped.emplace(std::move(*file));
    archive = mapped->bytes();
  }
  return respond(projects.upload_archive(who, project_ref_of(req), archive, message_of(req),
                                         if_match(req), caller_of(req)),
                 201, commit_json);
}

}  // namespace

void register_project_routes(http::Router& router, ApiContext& ctx) {
  services::Projects& projects = ctx.projects;
  const auto with_auth = [&ctx](AuthedHandler h) {
    return authenticated(ctx.credentials, std::move(h));
  };
  const std::string base = "/api/v1/projects/{owner}/{name}";
  // Writes with a body: the caller's write access is settled from the head.
  const auto with_write_access = [&ctx, &projects](AuthedHandler h) {
    return authenticated(
        ctx.credentials, std::move(h), [&projects](http::Request& req, const auth::Principal& who) {
          return projects.check_access(who, project_ref_of(req), auth::Action::kWrite);
        });
  };

  router.add("GET", "/api/v1/templates", with_auth([](http::Request&, const auth::Principal& who) {
               if (auto ok = auth::Policy::authorize_catalog(who); !ok)
                 return http::error_response(ok.error());
               return json_response(200, {{"templates", services::TemplateCatalog::names()}});
             }));
  router.add("GET", "/api/v1/examples", with_auth([](http::Request&, const auth::Principal& who) {
               if (auto ok = auth::Policy::authorize_catalog(who); !ok)
                 return http::error_response(ok.error());
               return json_response(200, examples_json(services::ExampleCatalog::list()));
             }));
  router.add("POST", "/api/v1/projects",
             with_auth([&projects](http::Request& req, const auth::Principal& who) {
               return create_project(projects, req, who);
             }));
  router.add("GET", "/api/v1/projects",
             with_auth([&projects](http::Request& req, const auth::Principal& who) {
               auto page = parse_page(req);
               if (!page) return http::error_response(page.error());
               // The hottest list of the API: written without a JSON DOM.
               return page_response(projects.list(who, *page), "projects",
                                    [](JsonWriter& out, const store::Project& project) {
                                      write_json(out, project);
                                    });
             }),
             {.query = {"cursor", "limit"}});
  router.add("GET", base, with_auth([&projects](http::Request& req, const auth::Principal& who) {
               return respond(projects.get(who, project_ref_of(req)), 200, project_view_json);
             }));
  router.add(
      "DELETE", base, with_auth([&projects](http::Request& req, const auth::Principal& who) {
        return no_content_or_error(projects.remove(who, project_ref_of(req), caller_of(req)));
      }));

  router.add("GET", base + "/files",
             with_auth([&projects](http::Request& req, const auth::Principal& who) {
               return respond(projects.files(who, project_ref_of(req), ref_of(req)), 200,
                              [](const services::Projects::Tree& tree) {
                                Json files = Json::array();
                                for (const auto& f : tree.files)
                                  files.push_back({{"path", f.path}, {"size", f.size}});
                                return Json{{"commit", tree.commit}, {"files", files}};
                              });
             }),
             {.query = {"ref"}});
  router.add("GET", base + "/files/{path...}",
             with_auth([&projects](http::Request& req, const auth::Principal& who) {
               return read_file(projects, req, who);
             }),
             {.query = {"ref"}});
  router.add("PUT", base + "/files/{path...}",
             with_write_access([&projects](http::Request& req, const auth::Principal& who) {
               return write_file(projects, req, who, false);
             }),
             {.body_limit = kFileBodyLimit, .query = {"message", "allow_empty"}});
  router.add("DELETE", base + "/files/{path...}",
             with_auth([&projects](http::Request& req, const auth::Principal& who) {
               return write_file(projects, req, who, true);
             }),
             {.query = {"message"}});

  router.add("POST", base + "/commits",
             with_write_access([&projects](http::Request& req, const auth::Principal& who) {
               return post_commit(projects, req, who);
             }));
  router.add("GET", base + "/commits",
             with_auth([&projects](http::Request& req, const auth::Principal& who) {
               auto limit = parse_limit(req, kDefaultHistory);
               if (!limit) return http::error_response(limit.error());
               return respond(projects.history(who, project_ref_of(req), ref_of(req), *limit), 200,
                              history_json);
             }),
             {.query = {"ref", "limit"}});
  router.add("GET", base + "/commits/{sha}",
             with_auth([&projects](http::Request& req, const auth::Principal& who) {
               return respond(projects.diff(who, project_ref_of(req), req.param("sha")), 200,
                              diff_json);
             }));
  router.add("POST", base + "/archive",
             with_write_access([&projects](http::Request& req, const auth::Principal& who) {
               return upload_archive(projects, req, who);
             }),
             {.body_limit = kArchiveBodyLimit, .spool_body = true, .query = {"message"}});
}

}  // namespace orsa::api
