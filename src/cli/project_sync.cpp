#include "project_sync.hpp"

#include "core/files.hpp"

namespace orsa::cli {
namespace fs = std::filesystem;

namespace {

bool safe_relative_path(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string_view::npos)
    return false;
  for (std::size_t start = 0; start <= path.size();) {
    const auto end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

Result<std::string> fetch_head(const ApiClient& client, const ProjectRef& project) {
  auto doc = client.call("GET", project.path());
  if (!doc) return fail(doc.error());
  const Json& head = (*doc)["head"];
  return head.is_object() ? head.value("sha", "") : std::string();
}

Result<FileContents> fetch_files(const ApiClient& client, const ProjectRef& project,
                                 const std::string& commit,
                                 const std::function<void(std::size_t, std::size_t)>& on_file) {
  FileContents out;
  if (commit.empty()) return out;
  auto tree = client.call("GET", project.path() + "/files?ref=" + escape_query(commit));
  if (!tree) return fail(tree.error());
  for (const auto& entry : (*tree)["files"]) {
    const std::string path = entry.value("path", "");
    if (!safe_relative_path(path))
      return fail(Error::internal("the server listed an unsafe path: " + path));
    auto file = client.send("GET", client.server() + project.path() + "/files/" +
                                       escape_path(path) + "?ref=" + escape_query(commit));
    if (!file) return fail(file.error());
    if (file->status != 200) return fail(error_from_response(*file));
    out.emplace(path, std::move(file->body));
    if (on_file) on_file(out.size(), (*tree)["files"].size());
  }
  return out;
}

Result<void> write_files(const fs::path& root, const FileContents& files) {
  for (const auto& [path, bytes] : files) {
    std::error_code ec;
    fs::create_directories((root / path).parent_path(), ec);
    if (ec)
      return fail(Error::internal("cannot create a folder for " + path + ": " + ec.message()));
    if (auto ok = write_file_atomic(root / path, bytes, 0644); !ok) return fail(ok.error());
  }
  return {};
}

FileHashes hashes_of(const FileContents& files) {
  FileHashes out;
  for (const auto& [path, bytes] : files) out.emplace(path, sha256_hex(bytes));
  return out;
}

Result<Json> commit_body(const fs::path& root, const std::vector<Change>& changes,
                         const std::string& message, const PushLimits& limits) {
  if (changes.size() > limits.max_changes)
    return fail(Error::too_large(std::to_string(changes.size()) + " changed files, over the " +
                                 "server's limit of " + std::to_string(limits.max_changes) +
                                 " per commit"));
  Json list = Json::array();
  std::size_t bytes = 0;
  for (const Change& change : changes) {
    if (change.kind == ChangeKind::kDeleted) {
      list.push_back({{"path", change.path}, {"delete", true}});
      continue;
    }
    auto content = read_file(root / change.path);
    if (!content) return fail(content.error());
    if (!is_utf8(*content))
      return fail(Error::unprocessable(change.path +
                                       " is not UTF-8 text; push sends text files only (add it "
                                       "to .orsaignore)"));
    bytes += content->size() + change.path.size() + 64;
    list.push_back({{"path", change.path}, {"content", std::move(*content)}});
  }
  Json body = {{"message", message}, {"changes", std::move(list)}};
  // JSON escaping may grow the text; measure what would be sent.
  if (bytes > limits.max_body_bytes / 2 && body.dump().size() > limits.max_body_bytes)
    return fail(Error::too_large("the changes are over the server's limit of " +
                                 std::to_string(limits.max_body_bytes) +
                                 " bytes per push; push fewer files at a time"));
  return body;
}

Result<bool> has_binary_change(const fs::path& root, const std::vector<Change>& changes) {
  for (const Change& change : changes) {
    if (change.kind == ChangeKind::kDeleted) continue;
    auto content = read_file(root / change.path);
    if (!content) return fail(content.error());
    if (!is_utf8(*content)) return true;
  }
  return false;
}

Result<ApiClient> client_for(const Context& ctx, const ProjectRef& project) {
  auto client = ctx.client();
  if (!client) return fail(client.error());
  if (!project.root) return client;
  auto link = load_link(*project.root);
  if (!link) return fail(link.error());
  if (link->server != client->server())
    return fail(Error::invalid_argument("this folder is linked to " + link->server +
                                        " but the profile in use is for " + client->server() +
                                        " (choose one with --profile)"));
  return client;
}

}  // namespace orsa::cli
