#include "support/api_client.hpp"

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

}  // namespace orsa::testing
