#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/files.hpp"
#include "core/temp_dir.hpp"
#include "templating/render.hpp"

namespace orsa::templating {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, std::string_view bytes, fs::perms perms = fs::perms(0644)) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
  fs::permissions(path, perms);
}

std::string slurp(const fs::path& path) {
  auto bytes = read_file(path);
  return bytes ? *bytes : "<missing " + path.string() + ">";
}

class TemplateDir : public ::testing::Test {
 protected:
  fs::path tpl() const { return tmp_.path() / "tpl"; }
  fs::path top() const { return tpl() / "{{cookiecutter.slug}}"; }
  fs::path out() const { return tmp_.path() / "out"; }

  void SetUp() override {
    write(tpl() / "cookiecutter.json", R"({
      "name": "Knap Sack",
      "slug": "{{ cookiecutter.name|lower|replace(' ', '-') }}",
      "license": ["MIT", "BSD"],
      "_copy_without_render": ["static/*", "*.keep"]
    })");
  }

  Result<fs::path> render(const Json& extra = Json::object()) {
    return render_template(tpl(), extra, out());
  }

  TempDir tmp_;
};

// Dicts are rendered in a second pass, so they come last, as in cookiecutter.
TEST(BuildContext, RendersDefaultsInOrderLikeCookiecutter) {
  auto ctx = build_context(R"({
    "name": "My Model", "slug": "{{ cookiecutter.name|lower }}", "workers": 2,
    "debug": false, "color": ["red", "{{ cookiecutter.slug }}"], "_raw": {"{{x}}": 1},
    "meta": {"owner": "{{ cookiecutter.slug }}", "n": 1}, "nothing": null
  })",
                           Json::object());
  ASSERT_TRUE(ctx) << ctx.error().message;
  EXPECT_EQ(ctx->dump(), R"({"name":"My Model","slug":"my model","workers":"2","debug":"False",)"
                         R"("color":"red","_raw":{"{{x}}":1},"nothing":null,)"
                         R"("meta":{"owner":"my model","n":"1"}})");
}

TEST(BuildContext, AppliesOverridesAsCookiecutter) {
  auto ctx = build_context(R"({"name": "a", "slug": "{{ cookiecutter.name }}-x",
                               "color": ["red", "blue"]})",
                           Json{{"name", "b"}, {"color", "blue"}, {"unknown", "ignored"}});
  ASSERT_TRUE(ctx) << ctx.error().message;
  EXPECT_EQ(ctx->dump(), R"({"name":"b","slug":"b-x","color":"blue"})");
  // A choice override that is not a choice keeps the default.
  ctx = build_context(R"({"color": ["red", "blue"]})", Json{{"color", "green"}});
  ASSERT_TRUE(ctx);
  EXPECT_EQ((*ctx)["color"], "red");
}

TEST(BuildContext, RejectsBadInputNamingTheKey) {
  EXPECT_EQ(build_context("{", Json::object()).error().message, "cookiecutter.json: invalid JSON");
  EXPECT_EQ(build_context("[]", Json::object()).error().message,
            "cookiecutter.json: must be a JSON object");
  EXPECT_EQ(build_context("{}", Json::array()).error().message,
            "extra context must be a JSON object");
  EXPECT_EQ(build_context(R"({"a": "{{ cookiecutter.b }}"})", Json::object()).error().message,
            "cookiecutter.json[a]:1: 'cookiecutter.b' is undefined");
  EXPECT_EQ(build_context(R"({"c": []})", Json::object()).error().message,
            "cookiecutter.json: choice variable 'c' has no choices");
}

TEST_F(TemplateDir, RendersNamesContentsAndModes) {
  write(top() / "README.md", "# {{ cookiecutter.name }} ({{ cookiecutter.license }})\n");
  write(top() / "{{cookiecutter.slug}}_pkg" / "__init__.py", "NAME = '{{ cookiecutter.slug }}'\n");
  write(top() / "run.sh", "#!/bin/sh\necho {{ cookiecutter.slug }}\n", fs::perms(0755));
  auto project = render(Json{{"license", "BSD"}});
  ASSERT_TRUE(project) << project.error().message;
  EXPECT_EQ(*project, out() / "knap-sack");
  EXPECT_EQ(slurp(*project / "README.md"), "# Knap Sack (BSD)\n");
  EXPECT_EQ(slurp(*project / "knap-sack_pkg" / "__init__.py"), "NAME = 'knap-sack'\n");
  EXPECT_EQ(fs::status(*project / "run.sh").permissions() & fs::perms::all, fs::perms(0755));
  EXPECT_EQ(fs::status(*project / "README.md").permissions() & fs::perms::all, fs::perms(0644));
}

TEST_F(TemplateDir, CopiesUnrenderedAndBinaryFilesUntouched) {
  write(top() / "static" / "{{cookiecutter.slug}}.js", "let t = `{{ x }}`;\n");
  write(top() / "deep" / "file.keep", "{% bogus %}");
  const std::string binary("\x89PNG\r\n\x1a\n\0\0{{ cookiecutter.name }}", 26);
  write(top() / "logo.png", binary);
  write(top() / "latin1.txt", "caf\xe9 {{ x }}");
  auto project = render();
  ASSERT_TRUE(project) << project.error().message;
  // File names are rendered even when contents are not, as in cookiecutter.
  EXPECT_EQ(slurp(*project / "static" / "knap-sack.js"), "let t = `{{ x }}`;\n");
  EXPECT_EQ(slurp(*project / "deep" / "file.keep"), "{% bogus %}");
  EXPECT_EQ(slurp(*project / "logo.png"), binary);
  EXPECT_EQ(slurp(*project / "latin1.txt"), "caf\xe9 {{ x }}");
}

TEST_F(TemplateDir, CopiesUnrenderedDirectoriesWithTheirNames) {
  write(tpl() / "cookiecutter.json", R"({"slug": "s", "_copy_without_render": ["vendor"]})");
  write(top() / "vendor" / "{{ raw }}" / "x.txt", "{{ y }}", fs::perms(0700));
  auto project = render();
  ASSERT_TRUE(project) << project.error().message;
  EXPECT_EQ(slurp(*project / "vendor" / "{{ raw }}" / "x.txt"), "{{ y }}");
  EXPECT_EQ(fs::status(*project / "vendor" / "{{ raw }}" / "x.txt").permissions() & fs::perms::all,
            fs::perms(0700));
}

TEST_F(TemplateDir, SkipsFilesWhoseNameRendersEmpty) {
  write(top() / "{% if cookiecutter.license == 'BSD' %}LICENSE{% endif %}", "BSD");
  auto project = render();
  ASSERT_TRUE(project) << project.error().message;
  EXPECT_TRUE(fs::is_empty(*project));
}

TEST_F(TemplateDir, ReportsTemplateErrorsWithPathAndLineAndCleansUp) {
  write(top() / "src" / "model.py", "x = 1\n\n{{ cookiecutter.name|foo }}\n");
  auto project = render();
  ASSERT_FALSE(project);
  EXPECT_EQ(project.error().message, "src/model.py:3: unknown filter 'foo'");
  EXPECT_FALSE(fs::exists(out() / "knap-sack"));
}

TEST_F(TemplateDir, KeepsRenderedNamesInsideTheOutput) {
  for (const char* evil : {"../escape", "a/b", "..", "/etc"}) {
    TempDir fresh;
    write(fresh.path() / "cookiecutter.json", Json{{"slug", "ok"}, {"evil", evil}}.dump());
    write(fresh.path() / "{{cookiecutter.slug}}" / "{{cookiecutter.evil}}", "x");
    auto project = render_template(fresh.path(), Json::object(), fresh.path() / "out");
    ASSERT_FALSE(project) << evil;
    EXPECT_NE(project.error().message.find("not a plain file name"), std::string::npos) << evil;
  }
  auto top_evil = render(Json{{"name", ".."}, {"slug", ".."}});
  ASSERT_FALSE(top_evil);
  EXPECT_FALSE(fs::exists(out() / "escape"));
}

TEST_F(TemplateDir, RejectsExistingOutputSymlinksAndMissingPieces) {
  write(top() / "a.txt", "a");
  ASSERT_TRUE(render());
  auto again = render();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);

  fs::create_symlink("/etc/passwd", top() / "link");
  auto linked = render_template(tpl(), Json::object(), tmp_.path() / "out2");
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().message, "link: symbolic links are not supported in templates");

  TempDir empty;
  write(empty.path() / "cookiecutter.json", "{}");
  auto none = render_template(empty.path(), Json::object(), empty.path() / "out");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no directory named like"), std::string::npos);
  auto no_json = render_template(tmp_.path() / "nowhere", Json::object(), out());
  ASSERT_FALSE(no_json);
  EXPECT_NE(no_json.error().message.find("cookiecutter.json: not found"), std::string::npos);
}

TEST_F(TemplateDir, EnforcesFileCountSizeAndOutputLimits) {
  for (int i = 0; i < 5; ++i) write(top() / ("f" + std::to_string(i)), std::string(1000, 'x'));
  Limits limits;
  limits.max_files = 4;
  auto r = render_template(tpl(), Json::object(), out() / "a", limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTooLarge);
  limits = {};
  limits.max_file_bytes = 999;
  r = render_template(tpl(), Json::object(), out() / "b", limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "f0: larger than 999 bytes");
  limits = {};
  limits.max_output_bytes = 2500;
  r = render_template(tpl(), Json::object(), out() / "c", limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTooLarge);
  EXPECT_FALSE(fs::exists(out() / "c" / "knap-sack"));
}

}  // namespace
}  // namespace orsa::templating
