#include "views.hpp"

#include "api_support.hpp"
#include "core/time.hpp"

namespace orsa::api {

Json to_json(const store::User& user) {
  return {{"id", user.id},
          {"username", user.username},
          {"email", user.email},
          {"role", role_name(user.role)},
          {"disabled", user.disabled},
          {"created_at", format_rfc3339(user.created_at)}};
}

// "read,write" → ["read", "write"].
static Json scope_list(std::string_view scopes) {
  Json list = Json::array();
  while (!scopes.empty()) {
    const auto comma = scopes.find(',');
    list.push_back(std::string(scopes.substr(0, comma)));
    scopes = comma == std::string_view::npos ? std::string_view() : scopes.substr(comma + 1);
  }
  return list;
}

Json to_json(const store::ApiToken& token) {
  return {{"id", token.id},
          {"user_id", token.user_id},
          {"name", token.name},
          {"created_at", format_rfc3339(token.created_at)},
          {"expires_at", optional_time(token.expires_at)},
          {"last_used_at", optional_time(token.last_used_at)},
          {"scopes", scope_list(token.scopes)}};
}

void write_json(JsonWriter& out, const store::Project& project) {
  out.begin_object()
      .key("id")
      .value(project.id)
      .key("owner")
      .value(project.owner_username)
      .key("name")
      .value(project.name)
      .key("full_name")
      .value(project.owner_username + "/" + project.name)
      .key("template")
      .value(project.template_name)
      .key("created_at")
      .value(format_rfc3339(project.created_at))
      .key("updated_at")
      .value(format_rfc3339(project.updated_at))
      .key("allow_egress")
      .value(project.allow_egress)
      .end_object();
}

Json to_json(const store::Project& project) {
  JsonWriter out;
  write_json(out, project);
  return Json::parse(out.take());
}

Json to_json(const source::CommitInfo& commit) {
  return {{"sha", commit.sha},
          {"author", {{"name", commit.author_name}, {"email", commit.author_email}}},
          {"message", commit.message},
          {"time", format_rfc3339(commit.time)},
          {"parents", commit.parents}};
}

}  // namespace orsa::api
