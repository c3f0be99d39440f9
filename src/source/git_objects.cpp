#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "core/strings.hpp"
#include "git_support.hpp"
#include "internal.hpp"

namespace orsa::source {

// libgit2's messages may carry server paths, so they go to the log and the
// caller gets only the name of the operation.
Error git_failure(std::string_view operation) {
  const int err = errno;
  const git_error* last = git_error_last();
  spdlog::error("libgit2 {} failed: {}", operation, last ? last->message : "unknown error");
  const bool no_space =
      is_disk_full(err) ||
      (last != nullptr && last->klass == GIT_ERROR_OS &&
       std::string_view(last->message).find("No space left on device") != std::string_view::npos);
  if (no_space) {
    return Error::insufficient_storage("git " + std::string(operation) +
                                       " failed: the server's disk is full; nothing was committed");
  }
  return Error::internal("git " + std::string(operation) + " failed");
}

std::string to_hex(const git_oid& id) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &id);
  return buf;
}

std::string short_sha(std::string_view sha) {
  return std::string(sha.substr(0, kShortSha));
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::string repo_name(const RepoId& repo) {
  return "'" + repo.owner + "/" + repo.name + "'";
}

Result<std::string> clean_message(std::string_view message, std::string_view fallback) {
  const auto text = trim(message);
  if (text.find('\0') != std::string_view::npos) {
    return fail(Error::invalid_argument("commit message must not contain NUL bytes"));
  }
  if (text.size() > kMaxMessageBytes) {
    return fail(Error::invalid_argument("commit message is " + std::to_string(text.size()) +
                                        " bytes; the limit is " +
                                        std::to_string(kMaxMessageBytes)));
  }
  return std::string(text.empty() ? fallback : text) + "\n";
}

Result<void> check_identity_field(std::string_view value, std::string_view what) {
  if (trim(value).empty())
    return fail(Error::invalid_argument(std::string(what) + " must not be empty"));
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || c == '<' || c == '>') {
      return fail(Error::invalid_argument(std::string(what) +
                                          " must not contain '<', '>' or control characters"));
    }
  }
  return {};
}

Result<SignaturePtr> make_signature(const Author& author) {
  if (auto ok = check_identity_field(author.name, "author name"); !ok) return fail(ok.error());
  if (auto ok = check_identity_field(author.email, "author email"); !ok) return fail(ok.error());
  git_signature* sig = nullptr;
  if (git_signature_new(&sig, author.name.c_str(), author.email.c_str(), author.time, 0) < 0) {
    return fail(git_failure("signature"));
  }
  return SignaturePtr(sig);
}

// Accepts only a full sha so that a stale abbreviated head can never match.
Result<std::optional<std::string>> parse_expected_head(std::optional<std::string_view> head) {
  if (!head) return std::optional<std::string>{};
  if (head->size() != GIT_OID_HEXSZ || !is_hex(*head)) {
    return fail(Error::invalid_argument("expected head " + internal::quote(*head) +
                                        " must be a full 40-character commit sha"));
  }
  return std::optional<std::string>(ascii_lower(*head));
}

Result<void> put_file(FileMap& files, const std::string& path, const std::string& content,
                      const Limits& limits) {
  if (content.size() > limits.max_file_bytes) {
    return fail(Error::too_large("file " + internal::quote(path) + " is " +
                                 std::to_string(content.size()) + " bytes; the limit is " +
                                 std::to_string(limits.max_file_bytes)));
  }
  TreeFile file;
  // Hashing (not writing) keeps the object database untouched until every check passed.
  if (git_odb_hash(&file.id, content.data(), content.size(), GIT_OBJECT_BLOB) < 0) {
    return fail(git_failure("hash"));
  }
  file.size = content.size();
  file.content = &content;
  if (auto old = files.find(path);
      old != files.end() && old->second.mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
    file.mode = GIT_FILEMODE_BLOB_EXECUTABLE;
  }
  files[path] = file;
  return {};
}

Result<FileMap> files_from_list(const std::vector<File>& list, const Limits& limits) {
  FileMap files;
  for (const auto& file : list) {
    auto path = validate_path(file.path, limits);
    if (!path) return fail(path.error());
    if (files.contains(*path)) {
      return fail(
          Error::invalid_argument("path " + internal::quote(*path) + " appears more than once"));
    }
    if (auto ok = put_file(files, *path, file.content, limits); !ok) return fail(ok.error());
  }
  return files;
}

// Totals and shape of the tree about to be written: a path cannot be both a
// file and a directory (the index would silently drop one of them).
Result<void> check_tree(const FileMap& files, const Limits& limits) {
  if (files.size() > limits.max_files) {
    return fail(Error::too_large("the project would have " + std::to_string(files.size()) +
                                 " files; the limit is " + std::to_string(limits.max_files)));
  }
  std::size_t total = 0;
  for (const auto& [path, file] : files) total += file.size;
  if (total > limits.max_repo_bytes) {
    return fail(Error::too_large("the project would be " + std::to_string(total) +
                                 " bytes; the limit is " + std::to_string(limits.max_repo_bytes)));
  }
  for (const auto& [path, file] : files) {
    for (auto slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      const auto dir = path.substr(0, slash);
      if (files.contains(dir)) {
        return fail(Error::invalid_argument("path " + internal::quote(path) +
                                            " conflicts with file " + internal::quote(dir)));
      }
    }
  }
  return {};
}

namespace {

struct WalkState {
  git_odb* odb = nullptr;
  FileMap* files = nullptr;
  bool failed = false;
};

int collect_blob(const char* root, const git_tree_entry* entry, void* payload) {
  auto& state = *static_cast<WalkState*>(payload);
  if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) return 0;
  TreeFile file;
  file.id = *git_tree_entry_id(entry);
  file.mode = git_tree_entry_filemode(entry);
  git_object_t type{};
  if (git_odb_read_header(&file.size, &type, state.odb, &file.id) < 0) {
    state.failed = true;
    return -1;
  }
  (*state.files)[std::string(root) + git_tree_entry_name(entry)] = file;
  return 0;
}

}  // namespace

Result<FileMap> load_files(git_repository* repo, const git_tree* tree) {
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repo) < 0) return fail(git_failure("open object database"));
  OdbPtr odb(raw_odb);
  FileMap files;
  WalkState state{odb.get(), &files, false};
  if (git_tree_walk(tree, GIT_TREEWALK_PRE, collect_blob, &state) < 0 || state.failed) {
    return fail(git_failure("tree walk"));
  }
  return files;
}

Result<git_oid> write_tree(git_repository* repo, const FileMap& files) {
  git_index* raw_index = nullptr;
  if (git_index_new(&raw_index) < 0) return fail(git_failure("index"));
  IndexPtr index(raw_index);
  for (const auto& [path, file] : files) {
    git_oid id = file.id;
    if (file.content &&
        git_blob_create_from_buffer(&id, repo, file.content->data(), file.content->size()) < 0) {
      return fail(git_failure("write blob"));
    }
    git_index_entry entry{};
    entry.mode = file.mode;
    entry.id = id;
    entry.file_size = static_cast<std::uint32_t>(file.size);
    entry.path = path.c_str();
    if (git_index_add(index.get(), &entry) < 0) return fail(git_failure("index add"));
  }
  git_oid tree_id;
  if (git_index_write_tree_to(&tree_id, index.get(), repo) < 0)
    return fail(git_failure("write tree"));
  return tree_id;
}

CommitInfo commit_info(const git_commit* commit) {
  CommitInfo info;
  info.sha = to_hex(*git_commit_id(commit));
  const git_signature* author = git_commit_author(commit);
  info.author_name = author->name;
  info.author_email = author->email;
  info.time = author->when.time;
  const char* message = git_commit_message(commit);
  info.message = std::string(trim(message ? message : ""));
  for (unsigned i = 0; i < git_commit_parentcount(commit); ++i) {
    info.parents.push_back(to_hex(*git_commit_parent_id(commit, i)));
  }
  return info;
}

Result<CommitPtr> lookup_commit(git_repository* repo, const git_oid& id) {
  git_commit* commit = nullptr;
  if (git_commit_lookup(&commit, repo, &id) < 0) return fail(git_failure("commit lookup"));
  return CommitPtr(commit);
}

Result<TreePtr> commit_tree(const git_commit* commit) {
  git_tree* tree = nullptr;
  if (git_commit_tree(&tree, commit) < 0) return fail(git_failure("tree lookup"));
  return TreePtr(tree);
}

Result<git_oid> read_head(git_repository* repo) {
  git_oid id;
  if (git_reference_name_to_id(&id, repo, kBranchRef) < 0) return fail(git_failure("read head"));
  return id;
}

Result<git_oid> create_commit(git_repository* repo, const git_oid& tree_id,
                              const git_signature* sig, const std::string& message,
                              const git_commit* parent) {
  git_tree* raw_tree = nullptr;
  if (git_tree_lookup(&raw_tree, repo, &tree_id) < 0) return fail(git_failure("tree lookup"));
  TreePtr tree(raw_tree);
  const git_commit* parents[] = {parent};
  git_oid id;
  if (git_commit_create(&id, repo, nullptr, sig, sig, nullptr, message.c_str(), tree.get(),
                        parent ? 1 : 0, parents) < 0) {
    return fail(git_failure("commit"));
  }
  return id;
}

// The first parent's tree, or null for a root commit (diffs against the empty tree).
Result<TreePtr> parent_tree(const git_commit* commit) {
  if (git_commit_parentcount(commit) == 0) return TreePtr();
  git_commit* raw_parent = nullptr;
  if (git_commit_parent(&raw_parent, commit, 0) < 0) return fail(git_failure("parent lookup"));
  CommitPtr parent(raw_parent);
  return commit_tree(parent.get());
}

}  // namespace orsa::source
