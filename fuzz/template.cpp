// The template language (a Jinja subset, as cookiecutter templates use it):
// template text rendered with a fixed context under small limits; or, with an
// odd first byte, the input as a template's cookiecutter.json, whose context
// then renders a fixed template. A template comes from an administrator or a
// tenant's repository, so every failure must be an error, never a crash.

#include <string>
#include <string_view>

#include "../fuzz/check.hpp"
#include "templating/render.hpp"

namespace {

using orsa::templating::OrderedJson;

orsa::templating::Limits small_limits() {
  orsa::templating::Limits limits;
  limits.max_output_bytes = 256 * 1024;
  limits.max_loop_iterations = 5'000;
  return limits;
}

const OrderedJson& fixed_context() {
  static const OrderedJson context = OrderedJson::parse(R"({
    "cookiecutter": {
      "project_name": "Fleet Planner", "service_slug": "fleet-planner", "workers": 2,
      "ratio": 0.5, "enabled": true, "nothing": null,
      "solvers": ["cbc", "glpk", "highs"],
      "limits": {"memory_mb": 512, "cpus": 1.5, "tags": ["a", "b"]},
      "_copy_without_render": ["*.png"]
    }
  })");
  return context;
}

constexpr std::string_view kFixedTemplate =
    "{{ cookiecutter.project_name }} {{ cookiecutter.service_slug | upper }}\n"
    "{% for key in cookiecutter %}{{ key }}={{ cookiecutter[key] }};{% endfor %}\n"
    "{% if cookiecutter.workers > 1 %}many{% else %}one{% endif %}\n";

void render(std::string_view text, const OrderedJson& context) {
  const auto limits = small_limits();
  auto out = orsa::templating::render_string(text, context, "fuzz.txt", limits);
  if (out) {
    ORSA_FUZZ_CHECK(out->size() <= limits.max_output_bytes);
  } else {
    ORSA_FUZZ_CHECK(!out.error().message.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [control, rest] = orsa::fuzz::split_control(data, size);
  if ((control & 1) == 0) {
    render(rest, fixed_context());
    return 0;
  }
  auto context = orsa::templating::build_context(rest, orsa::Json::object(), small_limits());
  if (context) render(kFixedTemplate, OrderedJson{{"cookiecutter", *context}});
  return 0;
}
