#include "support/api_client.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <stdexcept>

namespace orsa::testing {

std::string ApiResponse::error_code() const {
  if (!json.is_object() || !json.contains("error")) return "";
  return json["error"].value("code", "");
}

std::string ApiResponse::error_message() const {
  if (!json.is_object() || !json.contains("error")) return "";
  return json["error"].value("message", "");
}

ApiResponse ApiClient::raw(const std::string& method, const std::string& path,
                           const std::string& body, const std::string& token,
                           HeaderList headers) const {
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  auto res = client_.request(method, base_ + path, headers, body);
  if (!res) throw std::runtime_error(method + " " + path + ": " + res.error().message);
  ApiResponse out;
  out.status = res->status;
  out.body = std::move(res->body);
  out.headers = std::move(res->headers);
  out.set_cookies = std::move(res->set_cookies);
  out.json = Json::parse(out.body, nullptr, false);
  if (out.json.is_discarded()) out.json = nullptr;
  return out;
}

ApiResponse ApiClient::call(const std::string& method, const std::string& path,
                            const std::optional<Json>& body, const std::string& token,
                            HeaderList headers) const {
  if (body) headers.emplace_back("Content-Type", "application/json");
  return raw(method, path, body ? body->dump() : "", token, std::move(headers));
}

std::string ApiClient::register_user(const std::string& username,
                                     const std::string& password) const {
  auto res = call(
      "POST", "/api/v1/auth/register",
      Json{{"username", username}, {"email", username + "@example.org"}, {"password", password}});
  if (res.status != 201) throw std::runtime_error("register " + username + ": " + res.body);
  return res.json["token"];
}

std::string ApiClient::login(const std::string& username, const std::string& password) const {
  auto res =
      call("POST", "/api/v1/auth/login", Json{{"username", username}, {"password", password}});
  if (res.status != 200) throw std::runtime_error("login " + username + ": " + res.body);
  return res.json["token"];
}

std::string make_tar_gz(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  archive_write_open(
      a, &out, nullptr,
      [](archive*, void* data, const void* buf, size_t len) -> la_ssize_t {
        static_cast<std::string*>(data)->append(static_cast<const char*>(buf), len);
        return static_cast<la_ssize_t>(len);
      },
      nullptr);
  for (const auto& [path, content] : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path.c_str());
    if (content.starts_with("symlink:")) {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, content.substr(8).c_str());
      archive_entry_set_perm(e, 0777);
      archive_write_header(a, e);
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
      archive_write_header(a, e);
      archive_write_data(a, content.data(), content.size());
    }
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

}  // namespace orsa::testing
