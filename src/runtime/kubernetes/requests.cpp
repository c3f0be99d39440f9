#include "requests.hpp"

#include <algorithm>

namespace orsa::runtime::kubernetes {

bool is_label_value(std::string_view v) {
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  const auto allowed = [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; };
  return v.empty() ||
         (v.size() <= 63 && std::ranges::all_of(v, allowed) && alnum(v.front()) && alnum(v.back()));
}

std::string label_selector(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!is_label_value(v)) continue;
    if (!out.empty()) out += ',';
    out.append(k).append("=").append(v);
  }
  return out;
}

bool has_labels(const std::map<std::string, std::string>& have,
                const std::map<std::string, std::string>& wanted) {
  return std::ranges::all_of(wanted, [&](const auto& kv) {
    const auto it = have.find(kv.first);
    return it != have.end() && it->second == kv.second;
  });
}

Result<Json> parse(const ApiReply& reply, const std::string& what) {
  auto doc = Json::parse(reply.body, nullptr, false);
  if (!doc.is_object()) return fail(Error::unavailable(what + ": the answer is not JSON"));
  return doc;
}

Result<Json> read_list(ApiClient& api, const std::string& path, const std::string& what) {
  auto reply = api.request("GET", path);
  if (!reply) return fail(reply.error());
  if (reply->status != 200) return fail(status_error(reply->status, reply->body, what));
  auto doc = parse(*reply, what);
  if (!doc) return fail(doc.error());
  if (!doc->contains("items")) return Json::array();
  Json items = std::move((*doc)["items"]);
  if (!items.is_array()) return fail(Error::unavailable(what + ": items is not a list"));
  return items;
}

}  // namespace orsa::runtime::kubernetes
