#include <git2.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <system_error>

#include "core/slug.hpp"
#include "core/strings.hpp"
#include "internal.hpp"
#include "source/repos.hpp"

namespace orsa::source {
namespace {

constexpr const char* kBranchRef = "refs/heads/main";
constexpr std::size_t kMaxMessageBytes = 4096;
constexpr std::size_t kMaxHistory = 1000;
constexpr std::size_t kShortSha = 7;

template <class T, void (*Free)(T*)>
struct GitFree {
  void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitFree<T, Free>>;

using RepoPtr = GitPtr<git_repository, git_repository_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using TreeEntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using IndexPtr = GitPtr<git_index, git_index_free>;
using SignaturePtr = GitPtr<git_signature, git_signature_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;
using RevwalkPtr = GitPtr<git_revwalk, git_revwalk_free>;
using DiffPtr = GitPtr<git_diff, git_diff_free>;
using PatchPtr = GitPtr<git_patch, git_patch_free>;

// libgit2's messages may carry server paths, so they go to the log and the
// caller gets only the name of the operation.
Error git_failure(std::string_view operation) {
  const git_error* last = git_error_last();
  spdlog::error("libgit2 {} failed: {}", operation, last ? last->message : "unknown error");
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

// A file of a tree being built: either stored already or still to be written.
struct TreeFile {
  git_oid id{};
  git_filemode_t mode = GIT_FILEMODE_BLOB;
  std::size_t size = 0;
  const std::string* content = nullptr;  // bytes to write as a blob; null if stored
};
using FileMap = std::map<std::string, TreeFile>;

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

Result<DiffPtr> diff_trees(git_repository* repo, git_tree* old_tree, git_tree* new_tree) {
  git_diff_options options = GIT_DIFF_OPTIONS_INIT;
  git_diff* raw_diff = nullptr;
  if (git_diff_tree_to_tree(&raw_diff, repo, old_tree, new_tree, &options) < 0) {
    return fail(git_failure("diff"));
  }
  DiffPtr diff(raw_diff);
  git_diff_find_options find = GIT_DIFF_FIND_OPTIONS_INIT;
  find.flags = GIT_DIFF_FIND_RENAMES;
  if (git_diff_find_similar(diff.get(), &find) < 0) return fail(git_failure("rename detection"));
  return diff;
}

DiffStatus diff_status(git_delta_t status) {
  switch (status) {
    case GIT_DELTA_ADDED:
      return DiffStatus::kAdded;
    case GIT_DELTA_DELETED:
      return DiffStatus::kDeleted;
    case GIT_DELTA_RENAMED:
      return DiffStatus::kRenamed;
    default:
      return DiffStatus::kModified;
  }
}

Result<std::string> patch_text(git_patch* patch) {
  git_buf buf = GIT_BUF_INIT;
  if (git_patch_to_buf(&buf, patch) < 0) return fail(git_failure("patch text"));
  std::string text(buf.ptr, buf.size);
  git_buf_dispose(&buf);
  return text;
}

// One file of a diff with its line counts, and its patch text when `with_text`.
Result<FileDiff> file_diff(git_diff* diff, std::size_t index, bool with_text) {
  git_patch* raw_patch = nullptr;
  if (git_patch_from_diff(&raw_patch, diff, index) < 0) return fail(git_failure("patch"));
  PatchPtr patch(raw_patch);
  // Read after git_patch_from_diff, which sets the binary flag.
  const git_diff_delta* delta = git_diff_get_delta(diff, index);
  FileDiff out;
  out.status = diff_status(delta->status);
  out.path = delta->status == GIT_DELTA_DELETED ? delta->old_file.path : delta->new_file.path;
  if (delta->status == GIT_DELTA_RENAMED) out.old_path = delta->old_file.path;
  out.binary = !patch || (delta->flags & GIT_DIFF_FLAG_BINARY) != 0;
  if (out.binary) return out;
  std::size_t context = 0;
  if (git_patch_line_stats(&context, &out.additions, &out.deletions, patch.get()) < 0) {
    return fail(git_failure("patch stats"));
  }
  if (!with_text) return out;
  auto text = patch_text(patch.get());
  if (!text) return fail(text.error());
  out.patch = std::move(*text);
  return out;
}

// Lists at most max_diff_files files; patch text is kept in diff order until
// the next one would pass max_diff_patch_bytes, and left out from there on.
Result<void> collect_files(git_diff* diff, const Limits& limits, CommitDiff& out) {
  const std::size_t count = git_diff_num_deltas(diff);
  out.truncated = count > limits.max_diff_files;
  std::size_t patch_bytes = 0;
  for (std::size_t i = 0; i < std::min(count, limits.max_diff_files); ++i) {
    auto file = file_diff(diff, i, patch_bytes <= limits.max_diff_patch_bytes);
    if (!file) return fail(file.error());
    if (file->patch) {
      patch_bytes += file->patch->size();
      if (patch_bytes > limits.max_diff_patch_bytes) file->patch.reset();
    }
    if (patch_bytes > limits.max_diff_patch_bytes) out.truncated = true;
    out.files.push_back(std::move(*file));
  }
  return {};
}

class GitRepos final : public SourceRepos {
 public:
  GitRepos(std::filesystem::path root, Limits limits) : root_(std::move(root)), limits_(limits) {}

  Result<CommitInfo> create(const RepoId& repo, const std::vector<File>& files,
                            const Author& author, std::string_view message) override {
    auto path = repo_path(repo);
    if (!path) return fail(path.error());
    auto text = clean_message(message, "Create project");
    if (!text) return fail(text.error());
    auto sig = make_signature(author);
    if (!sig) return fail(sig.error());
    auto tree_files = files_from_list(files, limits_);
    if (!tree_files) return fail(tree_files.error());
    if (auto ok = check_tree(*tree_files, limits_); !ok) return fail(ok.error());

    std::lock_guard lock(*lock_for(*path));
    std::error_code ec;
    const bool exists = std::filesystem::exists(*path, ec);
    if (ec) return fail(Error::internal("checking repository " + repo_name(repo) + " failed"));
    if (exists) return fail(Error::conflict("repository " + repo_name(repo) + " exists"));
    git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    opts.flags =
        GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
    opts.initial_head = "main";
    git_repository* raw_repo = nullptr;
    const int rc = git_repository_init_ext(&raw_repo, path->c_str(), &opts);
    if (rc == GIT_EEXISTS)
      return fail(Error::conflict("repository " + repo_name(repo) + " exists"));
    if (rc < 0) return fail(git_failure("init"));
    RepoPtr git_repo(raw_repo);
    auto info = first_commit(git_repo.get(), *tree_files, sig->get(), *text);
    if (!info) {
      git_repo.reset();
      std::filesystem::remove_all(*path, ec);  // leave no half-made repository behind
    }
    return info;
  }

  Result<void> remove(const RepoId& repo) override {
    auto path = repo_path(repo);
    if (!path) return fail(path.error());
    std::lock_guard lock(*lock_for(*path));
    std::error_code ec;
    if (!std::filesystem::exists(*path, ec)) {
      return fail(Error::not_found("repository " + repo_name(repo) + " not found"));
    }
    std::filesystem::remove_all(*path, ec);
    if (ec) {
      spdlog::error("removing {} failed: {}", path->string(), ec.message());
      return fail(Error::internal("removing repository " + repo_name(repo) + " failed"));
    }
    return {};
  }

  Result<std::string> resolve(const RepoId& repo, std::string_view ref) override {
    auto git_repo = open(repo);
    if (!git_repo) return fail(git_repo.error());
    auto commit = resolve_commit(git_repo->get(), ref);
    if (!commit) return fail(commit.error());
    return to_hex(*git_commit_id(commit->get()));
  }

  Result<std::vector<FileEntry>> list_files(const RepoId& repo, std::string_view ref) override {
    auto at = files_at(repo, ref);
    if (!at) return fail(at.error());
    std::vector<FileEntry> out;
    out.reserve(at->files.size());
    for (const auto& [path, file] : at->files) {
      out.push_back({path, static_cast<std::int64_t>(file.size)});
    }
    return out;
  }

  Result<std::string> read_file(const RepoId& repo, std::string_view ref,
                                std::string_view path) override {
    auto normal = validate_path(path, limits_);
    if (!normal) return fail(normal.error());
    auto git_repo = open(repo);
    if (!git_repo) return fail(git_repo.error());
    auto commit = resolve_commit(git_repo->get(), ref);
    if (!commit) return fail(commit.error());
    auto tree = commit_tree(commit->get());
    if (!tree) return fail(tree.error());
    const auto not_found = [&] {
      return fail(Error::not_found("file " + internal::quote(*normal) + " not found at " +
                                   short_sha(to_hex(*git_commit_id(commit->get())))));
    };
    git_tree_entry* raw_entry = nullptr;
    const int rc = git_tree_entry_bypath(&raw_entry, tree->get(), normal->c_str());
    if (rc == GIT_ENOTFOUND) return not_found();
    if (rc < 0) return fail(git_failure("tree lookup"));
    TreeEntryPtr entry(raw_entry);
    if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) return not_found();
    git_blob* raw_blob = nullptr;
    if (git_blob_lookup(&raw_blob, git_repo->get(), git_tree_entry_id(entry.get())) < 0) {
      return fail(git_failure("blob lookup"));
    }
    BlobPtr blob(raw_blob);
    return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                       static_cast<std::size_t>(git_blob_rawsize(blob.get())));
  }

  Result<CommitInfo> commit(const RepoId& repo, const std::vector<FileChange>& changes,
                            const Author& author, std::string_view message,
                            std::optional<std::string_view> expected_head) override {
    if (changes.empty()) return fail(Error::invalid_argument("a commit needs at least one change"));
    const auto apply = [&](FileMap files, std::string_view head) -> Result<FileMap> {
      std::set<std::string> seen;
      for (const auto& change : changes) {
        auto path = validate_path(change.path, limits_);
        if (!path) return fail(path.error());
        if (!seen.insert(*path).second) {
          return fail(Error::invalid_argument("path " + internal::quote(*path) +
                                              " appears more than once"));
        }
        if (change.content) {
          if (auto ok = put_file(files, *path, *change.content, limits_); !ok)
            return fail(ok.error());
        } else if (files.erase(*path) == 0) {
          return fail(Error::not_found("file " + internal::quote(*path) + " not found at " +
                                       short_sha(head)));
        }
      }
      return files;
    };
    return write(repo, author, message, "Update files", expected_head, apply);
  }

  Result<CommitInfo> replace_tree(const RepoId& repo, const std::vector<File>& files,
                                  const Author& author, std::string_view message,
                                  std::optional<std::string_view> expected_head) override {
    const auto replace = [&](const FileMap&, std::string_view) {
      return files_from_list(files, limits_);
    };
    return write(repo, author, message, "Replace files", expected_head, replace);
  }

  Result<Snapshot> snapshot(const RepoId& repo, std::string_view ref) override {
    auto at = files_at(repo, ref);
    if (!at) return fail(at.error());
    Snapshot out{commit_info(at->commit.get()), {}};
    out.files.reserve(at->files.size());
    for (const auto& [path, file] : at->files) {
      git_blob* raw_blob = nullptr;
      if (git_blob_lookup(&raw_blob, at->repo.get(), &file.id) < 0) {
        return fail(git_failure("blob lookup"));
      }
      BlobPtr blob(raw_blob);
      const auto* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
      out.files.push_back({path, std::string(data, git_blob_rawsize(blob.get()))});
    }
    return out;
  }

  Result<std::vector<CommitInfo>> history(const RepoId& repo, std::string_view ref,
                                          std::size_t limit) override {
    auto git_repo = open(repo);
    if (!git_repo) return fail(git_repo.error());
    auto start = resolve_commit(git_repo->get(), ref);
    if (!start) return fail(start.error());
    git_revwalk* raw_walk = nullptr;
    if (git_revwalk_new(&raw_walk, git_repo->get()) < 0) return fail(git_failure("revwalk"));
    RevwalkPtr walk(raw_walk);
    git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
    if (git_revwalk_push(walk.get(), git_commit_id(start->get())) < 0) {
      return fail(git_failure("revwalk"));
    }
    std::vector<CommitInfo> out;
    const auto max = std::clamp<std::size_t>(limit, 1, kMaxHistory);
    git_oid id;
    while (out.size() < max) {
      const int rc = git_revwalk_next(&id, walk.get());
      if (rc == GIT_ITEROVER) break;
      if (rc < 0) return fail(git_failure("revwalk"));
      auto commit = lookup_commit(git_repo->get(), id);
      if (!commit) return fail(commit.error());
      out.push_back(commit_info(commit->get()));
    }
    return out;
  }

  Result<CommitDiff> diff(const RepoId& repo, std::string_view ref) override {
    auto git_repo = open(repo);
    if (!git_repo) return fail(git_repo.error());
    auto commit = resolve_commit(git_repo->get(), ref);
    if (!commit) return fail(commit.error());
    auto tree = commit_tree(commit->get());
    if (!tree) return fail(tree.error());
    auto old_tree = parent_tree(commit->get());
    if (!old_tree) return fail(old_tree.error());
    auto diff = diff_trees(git_repo->get(), old_tree->get(), tree->get());
    if (!diff) return fail(diff.error());
    CommitDiff out{commit_info(commit->get()), {}, false};
    if (auto ok = collect_files(diff->get(), limits_, out); !ok) return fail(ok.error());
    return out;
  }

 private:
  using BuildTree = std::function<Result<FileMap>(FileMap, std::string_view head_sha)>;

  // Owner and name are validated by callers too; checking again here keeps
  // the filesystem path under root_ whatever a caller passes.
  Result<std::filesystem::path> repo_path(const RepoId& repo) const {
    if (auto ok = validate_slug(repo.owner, "owner"); !ok) return fail(ok.error());
    if (auto ok = validate_slug(repo.name, "project name"); !ok) return fail(ok.error());
    return root_ / repo.owner / (repo.name + ".git");
  }

  // One mutex per repository, never erased: the map grows with the number of
  // repositories written since start, which is small.
  std::shared_ptr<std::mutex> lock_for(const std::filesystem::path& path) {
    std::lock_guard lock(locks_mutex_);
    auto& slot = locks_[path.string()];
    if (!slot) slot = std::make_shared<std::mutex>();
    return slot;
  }

  Result<RepoPtr> open(const RepoId& repo) const {
    auto path = repo_path(repo);
    if (!path) return fail(path.error());
    std::error_code ec;
    if (!std::filesystem::is_directory(*path, ec)) {
      return fail(Error::not_found("repository " + repo_name(repo) + " not found"));
    }
    git_repository* raw = nullptr;
    const int rc = git_repository_open_bare(&raw, path->c_str());
    if (rc == GIT_ENOTFOUND)
      return fail(Error::not_found("repository " + repo_name(repo) + " not found"));
    if (rc < 0) return fail(git_failure("open"));
    return RepoPtr(raw);
  }

  struct CommitFiles {
    RepoPtr repo;
    CommitPtr commit;
    FileMap files;
  };
  /// The repository, the commit at `ref` and its file map.
  Result<CommitFiles> files_at(const RepoId& repo, std::string_view ref) {
    auto git_repo = open(repo);
    if (!git_repo) return fail(git_repo.error());
    auto commit = resolve_commit(git_repo->get(), ref);
    if (!commit) return fail(commit.error());
    auto tree = commit_tree(commit->get());
    if (!tree) return fail(tree.error());
    auto files = load_files(git_repo->get(), tree->get());
    if (!files) return fail(files.error());
    return CommitFiles{std::move(*git_repo), std::move(*commit), std::move(*files)};
  }

  Result<CommitPtr> resolve_commit(git_repository* repo, std::string_view ref) const {
    if (ref.empty() || ref == "HEAD" || ref == "main") {
      auto head = read_head(repo);
      if (!head) return fail(head.error());
      return lookup_commit(repo, *head);
    }
    if (ref.size() < GIT_OID_MINPREFIXLEN || ref.size() > GIT_OID_HEXSZ || !is_hex(ref)) {
      return fail(Error::invalid_argument("unsupported ref " + internal::quote(ref) +
                                          ": use 'main' or a commit sha (4-40 hex digits)"));
    }
    git_oid prefix;
    if (git_oid_fromstrn(&prefix, ref.data(), ref.size()) < 0)
      return fail(git_failure("parse sha"));
    git_commit* commit = nullptr;
    const int rc = git_commit_lookup_prefix(&commit, repo, &prefix, ref.size());
    if (rc == GIT_EAMBIGUOUS) {
      return fail(Error::invalid_argument("ref " + internal::quote(ref) +
                                          " is ambiguous; use more digits"));
    }
    if (rc < 0) return fail(Error::not_found("commit " + internal::quote(ref) + " not found"));
    return CommitPtr(commit);
  }

  Result<CommitInfo> first_commit(git_repository* repo, const FileMap& files,
                                  const git_signature* sig, const std::string& message) {
    auto tree_id = write_tree(repo, files);
    if (!tree_id) return fail(tree_id.error());
    auto id = create_commit(repo, *tree_id, sig, message, nullptr);
    if (!id) return fail(id.error());
    git_reference* raw_ref = nullptr;
    if (git_reference_create(&raw_ref, repo, kBranchRef, &*id, 0, "create") < 0) {
      return fail(git_failure("create branch"));
    }
    ReferencePtr ref(raw_ref);
    auto commit = lookup_commit(repo, *id);
    if (!commit) return fail(commit.error());
    return commit_info(commit->get());
  }

  // The shared write path: checks everything, builds the new tree from the
  // head's files, commits on top of the head, and moves the branch only if it
  // still points at that head.
  Result<CommitInfo> write(const RepoId& repo, const Author& author, std::string_view message,
                           std::string_view fallback_message,
                           std::optional<std::string_view> expected_head, const BuildTree& build) {
    auto path = repo_path(repo);
    if (!path) return fail(path.error());
    auto text = clean_message(message, fallback_message);
    if (!text) return fail(text.error());
    auto sig = make_signature(author);
    if (!sig) return fail(sig.error());
    auto expected = parse_expected_head(expected_head);
    if (!expected) return fail(expected.error());

    std::lock_guard lock(*lock_for(*path));
    auto git_repo = open(repo);
    if (!git_repo) return fail(git_repo.error());
    git_repository* r = git_repo->get();
    auto head_id = read_head(r);
    if (!head_id) return fail(head_id.error());
    const auto head_sha = to_hex(*head_id);
    if (*expected && **expected != head_sha) return changed_since(**expected, head_sha);

    auto head = lookup_commit(r, *head_id);
    if (!head) return fail(head.error());
    auto head_tree = commit_tree(head->get());
    if (!head_tree) return fail(head_tree.error());
    auto head_files = load_files(r, head_tree->get());
    if (!head_files) return fail(head_files.error());
    auto files = build(std::move(*head_files), head_sha);
    if (!files) return fail(files.error());
    if (auto ok = check_tree(*files, limits_); !ok) return fail(ok.error());

    auto tree_id = write_tree(r, *files);
    if (!tree_id) return fail(tree_id.error());
    // An empty commit would only clutter the history.
    if (git_oid_equal(&*tree_id, git_tree_id(head_tree->get()))) {
      return fail(
          Error::invalid_argument("no changes: the files are identical to " + short_sha(head_sha)));
    }
    auto id = create_commit(r, *tree_id, sig->get(), *text, head->get());
    if (!id) return fail(id.error());
    git_reference* raw_ref = nullptr;
    const int rc =
        git_reference_create_matching(&raw_ref, r, kBranchRef, &*id, 1, &*head_id, "commit");
    if (rc == GIT_EMODIFIED || rc == GIT_ELOCKED) {
      // Another process moved the branch (or is moving it) since we read it.
      auto now = read_head(r);
      return changed_since(head_sha, now ? to_hex(*now) : head_sha);
    }
    if (rc < 0) return fail(git_failure("update branch"));
    ReferencePtr ref(raw_ref);
    auto commit = lookup_commit(r, *id);
    if (!commit) return fail(commit.error());
    return commit_info(commit->get());
  }

  static std::unexpected<Error> changed_since(std::string_view seen, std::string current) {
    return fail(Error::conflict("the project changed since " + short_sha(seen) + "; reload",
                                std::move(current)));
  }

  std::filesystem::path root_;
  Limits limits_;
  std::mutex locks_mutex_;
  std::map<std::string, std::shared_ptr<std::mutex>> locks_;
};

void init_libgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    git_libgit2_init();
    // A crash must not leave the branch pointing at objects still in the page cache.
    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
  });
}

}  // namespace

std::unique_ptr<SourceRepos> make_git_repos(std::filesystem::path root, Limits limits) {
  init_libgit2();
  return std::make_unique<GitRepos>(std::move(root), limits);
}

}  // namespace orsa::source
