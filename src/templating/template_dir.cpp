// Renders a cookiecutter template directory the way `cookiecutter --no-input`
// 1.7.3 does (cookiecutter/generate.py and prompt.py), with limits and with
// every output path kept inside the output directory.

#include <algorithm>
#include <fstream>
#include <string>
#include <system_error>

#include "core/files.hpp"
#include "core/strings.hpp"
#include "internal.hpp"
#include "templating/render.hpp"

namespace orsa::templating {
namespace fs = std::filesystem;
using internal::Value;

namespace {

// prompt.render_variable: non-strings become str() before rendering, and the
// environment there keeps Jinja's default of dropping a final newline.
Result<Value> render_variable(const Value& raw, const Value& cookiecutter, const std::string& key,
                              const Limits& limits) {
  if (raw.is_null()) return raw;
  if (raw.is_object() || raw.is_array()) {
    Value out = raw.is_object() ? Value::object() : Value::array();
    for (auto it = raw.begin(); it != raw.end(); ++it) {
      auto value = render_variable(it.value(), cookiecutter, key, limits);
      if (!value) return value;
      if (raw.is_array()) {
        out.push_back(std::move(*value));
        continue;
      }
      auto name = render_variable(Value(it.key()), cookiecutter, key, limits);
      if (!name) return name;
      out[name->get<std::string>()] = std::move(*value);
    }
    return out;
  }
  const Value context = {{"cookiecutter", cookiecutter}};
  auto text = internal::render_source(internal::python_str(raw), context,
                                      "cookiecutter.json[" + key + "]", limits, false);
  if (!text) return fail(text.error());
  return Value(std::move(*text));
}

// generate.apply_overwrites_to_context: unknown keys are ignored; a choice
// override that is one of the choices becomes the first (default) one.
void apply_overrides(Value& defaults, const Json& extra) {
  for (const auto& [key, json_value] : extra.items()) {
    if (!defaults.contains(key)) continue;
    Value value = json_value;
    auto& current = defaults[key];
    if (!current.is_array()) {
      current = std::move(value);
      continue;
    }
    const auto hit = std::ranges::find_if(
        current, [&](const Value& choice) { return internal::python_equal(choice, value); });
    if (hit == current.end()) continue;
    current.erase(static_cast<std::size_t>(hit - current.begin()));
    current.insert(current.begin(), std::move(value));
  }
}

Result<Value> render_first_pass(const Value& defaults, const Limits& limits) {
  Value out = Value::object();
  for (auto it = defaults.begin(); it != defaults.end(); ++it) {
    const auto& key = it.key();
    if (key.starts_with('_')) {
      out[key] = it.value();
    } else if (it->is_array()) {
      if (it->empty())
        return fail(Error::invalid_argument("cookiecutter.json: choice variable '" + key +
                                            "' has no choices"));
      // Every choice is rendered, as cookiecutter does, so each must be valid.
      auto choices = render_variable(*it, out, key, limits);
      if (!choices) return choices;
      out[key] = (*choices)[0];
    } else if (!it->is_object()) {
      auto value = render_variable(*it, out, key, limits);
      if (!value) return value;
      out[key] = std::move(*value);
    }
  }
  return out;
}

}  // namespace

Result<OrderedJson> build_context(std::string_view cookiecutter_json, const Json& extra_context,
                                  const Limits& limits) {
  Value defaults = Value::parse(cookiecutter_json, nullptr, false);
  if (defaults.is_discarded())
    return fail(Error::invalid_argument("cookiecutter.json: invalid JSON"));
  if (!defaults.is_object())
    return fail(Error::invalid_argument("cookiecutter.json: must be a JSON object"));
  if (!extra_context.is_object())
    return fail(Error::invalid_argument("extra context must be a JSON object"));
  apply_overrides(defaults, extra_context);
  auto out = render_first_pass(defaults, limits);
  if (!out) return out;
  // Second pass, as cookiecutter: dicts may refer to any plain variable.
  for (auto it = defaults.begin(); it != defaults.end(); ++it) {
    if (it.key().starts_with('_') || !it->is_object()) continue;
    auto value = render_variable(*it, *out, it.key(), limits);
    if (!value) return value;
    (*out)[it.key()] = std::move(*value);
  }
  return out;
}

namespace {

class TreeRenderer {
 public:
  TreeRenderer(Value context, const Limits& limits)
      : context_(std::move(context)), limits_(limits) {}

  /// Renders one file or directory name; `rel` names it in errors.
  Result<std::string> render_name(const std::string& name, const std::string& rel) {
    auto rendered = internal::render_source(name, context_, rel + " (name)", budget(), true);
    if (!rendered) return rendered;
    const auto& n = *rendered;
    if (n == "." || n == ".." || n.find('/') != std::string::npos ||
        n.find('\0') != std::string::npos) {
      return fail(Error::invalid_argument(rel + ": name renders to '" + n +
                                          "', which is not a plain file name"));
    }
    return rendered;
  }

  Result<void> render_dir(const fs::path& src, const std::string& rel_prefix, const fs::path& dst) {
    auto entries = sorted_entries(src);
    if (!entries) return fail(entries.error());
    for (const auto& entry : *entries) {
      const auto name = entry.filename().string();
      const auto rel = rel_prefix.empty() ? name : concat({rel_prefix, "/", name});
      auto done = render_entry(entry, rel, dst);
      if (!done) return done;
    }
    return {};
  }

 private:
  Limits budget() const {
    Limits limits = limits_;
    limits.max_output_bytes =
        limits_.max_output_bytes - std::min(written_, limits_.max_output_bytes);
    return limits;
  }

  bool copy_only(const std::string& rel) const {
    const auto it = context_["cookiecutter"].find("_copy_without_render");
    if (it == context_["cookiecutter"].end() || !it->is_array()) return false;
    return std::ranges::any_of(*it, [&](const Value& pattern) {
      return pattern.is_string() && internal::fnmatch(rel, pattern.get<std::string>());
    });
  }

  Result<std::vector<fs::path>> sorted_entries(const fs::path& dir) {
    std::vector<fs::path> entries;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (++seen_ > limits_.max_files) {
        return fail(Error::too_large("template has more than " + std::to_string(limits_.max_files) +
                                     " files"));
      }
      entries.push_back(it->path());
    }
    if (ec) return fail(Error::internal("cannot list " + dir.string() + ": " + ec.message()));
    std::ranges::sort(entries);
    return entries;
  }

  Result<void> render_entry(const fs::path& src, const std::string& rel, const fs::path& dst_dir) {
    std::error_code ec;
    const auto status = fs::symlink_status(src, ec);
    if (fs::is_symlink(status))
      return fail(Error::invalid_argument(rel + ": symbolic links are not supported in templates"));
    if (fs::is_directory(status)) {
      if (copy_only(rel)) return copy_tree(src, rel, dst_dir / src.filename());
      auto name = render_name(src.filename().string(), rel);
      if (!name) return fail(name.error());
      if (name->empty())
        return fail(Error::invalid_argument(rel + ": directory name renders empty"));
      auto made = make_dir(dst_dir / *name, rel);
      if (!made) return made;
      return render_dir(src, rel, dst_dir / *name);
    }
    if (!fs::is_regular_file(status))
      return fail(Error::invalid_argument(rel + ": not a regular file or directory"));
    auto name = render_name(src.filename().string(), rel);
    if (!name) return fail(name.error());
    if (name->empty()) return {};  // cookiecutter skips files whose name renders empty
    return render_file(src, rel, dst_dir / *name);
  }

  Result<void> make_dir(const fs::path& dir, const std::string& rel) {
    std::error_code ec;
    if (!fs::create_directory(dir, ec)) {
      return fail(ec ? Error::internal("cannot create " + dir.string() + ": " + ec.message())
                     : Error::conflict(rel + ": renders to a directory that already exists"));
    }
    return {};
  }

  Result<std::string> read_limited(const fs::path& src, const std::string& rel) {
    std::error_code ec;
    const auto size = fs::file_size(src, ec);
    if (ec) return fail(Error::internal("cannot read " + rel + ": " + ec.message()));
    if (size > limits_.max_file_bytes) {
      return fail(Error::too_large(rel + ": larger than " + std::to_string(limits_.max_file_bytes) +
                                   " bytes"));
    }
    return read_file(src);
  }

  Result<void> render_file(const fs::path& src, const std::string& rel, const fs::path& dst) {
    auto bytes = read_limited(src, rel);
    if (!bytes) return fail(bytes.error());
    if (copy_only(rel) || internal::is_binary(rel, *bytes)) return write(dst, *bytes, src, rel);
    auto text = internal::render_source(*bytes, context_, rel, budget(), true);
    if (!text) return fail(text.error());
    return write(dst, *text, src, rel);
  }

  // Plain writes, no fsync: the tree is scratch output read back at once.
  Result<void> write(const fs::path& dst, std::string_view bytes, const fs::path& mode_from,
                     const std::string& rel) {
    written_ += bytes.size();
    if (written_ > limits_.max_output_bytes) {
      return fail(Error::too_large("output exceeds " + std::to_string(limits_.max_output_bytes) +
                                   " bytes at " + rel));
    }
    if (fs::exists(dst))
      return fail(Error::conflict(rel + ": renders to a path that already exists"));
    {
      std::ofstream out(dst, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out.flush()) return fail(Error::internal("cannot write " + dst.string()));
    }
    // shutil.copymode: the template file's permission bits (set-id bits dropped).
    std::error_code ec;
    const auto perms = fs::status(mode_from, ec).permissions() & fs::perms::all;
    fs::permissions(dst, perms, ec);
    if (ec) return fail(Error::internal("cannot chmod " + dst.string() + ": " + ec.message()));
    return {};
  }

  // shutil.copytree of a `_copy_without_render` directory: names unrendered.
  Result<void> copy_tree(const fs::path& src, const std::string& rel, const fs::path& dst) {
    auto made = make_dir(dst, rel);
    if (!made) return made;
    auto entries = sorted_entries(src);
    if (!entries) return fail(entries.error());
    for (const auto& entry : *entries) {
      const auto child = rel + "/" + entry.filename().string();
      std::error_code ec;
      const auto status = fs::symlink_status(entry, ec);
      Result<void> done;
      if (fs::is_directory(status)) {
        done = copy_tree(entry, child, dst / entry.filename());
      } else if (fs::is_regular_file(status)) {
        auto bytes = read_limited(entry, child);
        if (!bytes) return fail(bytes.error());
        done = write(dst / entry.filename(), *bytes, entry, child);
      } else {
        done = fail(Error::invalid_argument(child + ": not a regular file or directory"));
      }
      if (!done) return done;
    }
    return {};
  }

  Value context_;
  const Limits& limits_;
  std::size_t seen_ = 0;
  std::size_t written_ = 0;
};

// find.find_template: the child whose name holds "cookiecutter", "{{" and "}}".
Result<fs::path> find_project_dir(const fs::path& template_dir) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (fs::directory_iterator it(template_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.find("cookiecutter") != std::string::npos && name.find("{{") != std::string::npos &&
        name.find("}}") != std::string::npos) {
      found.push_back(it->path());
    }
  }
  if (ec)
    return fail(
        Error::invalid_argument("cannot list " + template_dir.string() + ": " + ec.message()));
  if (found.empty()) {
    return fail(Error::invalid_argument(
        template_dir.string() + ": no directory named like '{{cookiecutter.project_slug}}'"));
  }
  if (found.size() > 1) {
    return fail(
        Error::invalid_argument(template_dir.string() + ": more than one templated directory"));
  }
  if (!fs::is_directory(fs::symlink_status(found[0]))) {
    return fail(Error::invalid_argument(found[0].string() + ": must be a directory"));
  }
  return found[0];
}

Result<Value> load_context(const fs::path& template_dir, const Json& extra, const Limits& limits) {
  const auto file = template_dir / "cookiecutter.json";
  if (!fs::is_regular_file(file))
    return fail(Error::invalid_argument(file.string() + ": not found"));
  if (fs::file_size(file) > limits.max_file_bytes) {
    return fail(Error::too_large(file.string() + ": larger than " +
                                 std::to_string(limits.max_file_bytes) + " bytes"));
  }
  auto text = read_file(file);
  if (!text) return fail(text.error());
  auto context = build_context(*text, extra, limits);
  if (!context) return fail(context.error());
  // cookiecutter records where the template came from.
  (*context)["_template"] = template_dir.string();
  return Value{{"cookiecutter", std::move(*context)}};
}

}  // namespace

Result<fs::path> render_template(const fs::path& template_dir, const Json& extra_context,
                                 const fs::path& out_dir, const Limits& limits) {
  auto context = load_context(template_dir, extra_context, limits);
  if (!context) return fail(context.error());
  auto project_src = find_project_dir(template_dir);
  if (!project_src) return fail(project_src.error());
  TreeRenderer renderer(std::move(*context), limits);
  const auto top = project_src->filename().string();
  auto name = renderer.render_name(top, top);
  if (!name) return fail(name.error());
  if (name->empty()) return fail(Error::invalid_argument(top + ": directory name renders empty"));
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return fail(Error::internal("cannot create " + out_dir.string() + ": " + ec.message()));
  auto project = out_dir / *name;
  if (fs::exists(project)) return fail(Error::conflict(project.string() + " already exists"));
  fs::create_directory(project, ec);
  if (ec) return fail(Error::internal("cannot create " + project.string() + ": " + ec.message()));
  auto done = renderer.render_dir(*project_src, "", project);
  if (!done) {
    fs::remove_all(project, ec);  // as cookiecutter: no half-rendered project
    return fail(done.error());
  }
  return project;
}

}  // namespace orsa::templating
