#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/json.hpp"

namespace orsa::templating {

/// JSON that keeps key order, as cookiecutter's OrderedDict does: variables
/// are rendered in cookiecutter.json order and dicts iterate in that order.
using OrderedJson = nlohmann::ordered_json;

/// Bounds on what one render may consume; exceeding one is an error
/// (ErrorCode::kTooLarge), never a crash.
struct Limits {
  std::size_t max_file_bytes = 2 * 1024 * 1024;      // each template file
  std::size_t max_files = 10'000;                    // files and directories in the template
  std::size_t max_output_bytes = 200 * 1024 * 1024;  // one render_string, or a whole tree
  std::size_t max_loop_iterations = 100'000;         // per rendered file or name
  std::size_t max_depth = 64;                        // nested blocks and expressions
};

/// Renders Jinja-subset `text` with `context` (top-level variables, e.g.
/// {"cookiecutter": {...}}). Errors read "<source_name>:<line>: <what>".
Result<std::string> render_string(std::string_view text, const OrderedJson& context,
                                  std::string_view source_name, const Limits& limits = {});

/// The `cookiecutter` variables `cookiecutter --no-input` would compute from
/// cookiecutter.json's text and `extra_context` (overrides; unknown keys are
/// ignored, a choice override must be one of the choices).
Result<OrderedJson> build_context(std::string_view cookiecutter_json, const Json& extra_context,
                                  const Limits& limits = {});

/// Renders the cookiecutter template in `template_dir` into `out_dir` (created
/// if missing) and returns the generated project directory.
Result<std::filesystem::path> render_template(const std::filesystem::path& template_dir,
                                              const Json& extra_context,
                                              const std::filesystem::path& out_dir,
                                              const Limits& limits = {});

}  // namespace orsa::templating
