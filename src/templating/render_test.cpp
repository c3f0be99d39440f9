#include "templating/render.hpp"

#include <gtest/gtest.h>

#include <string>

#include "internal.hpp"

namespace orsa::templating {
namespace {

const OrderedJson kContext = OrderedJson::parse(R"({
  "cookiecutter": {
    "name": "Knap Sack", "slug": "knap-sack", "empty": "", "flag": "False", "n": 3,
    "yes": true, "no": false, "none": null,
    "things": ["a", "b", "c"], "nested": {"inner": {"leaf": "deep"}},
    "pairs": {"x": "1", "y": "2"}
  }
})");

std::string render(std::string_view text, const Limits& limits = {}) {
  auto r = render_string(text, kContext, "t.txt", limits);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : std::string("<error>");
}

std::string error_of(std::string_view text, const Limits& limits = {}) {
  auto r = render_string(text, kContext, "model.py", limits);
  EXPECT_FALSE(r) << "rendered: " << *r;
  return r ? std::string() : r.error().message;
}

TEST(RenderString, SubstitutesVariablesAndLiterals) {
  EXPECT_EQ(render("Hi {{ cookiecutter.name }}!"), "Hi Knap Sack!");
  EXPECT_EQ(render("{{cookiecutter.nested.inner.leaf}}"), "deep");
  EXPECT_EQ(render("{{ cookiecutter['slug'] }} {{ cookiecutter.things[-1] }}"), "knap-sack c");
  EXPECT_EQ(render("{{ 'a' }}{{ \"b\" }}{{ 42 }}{{ 1.5 }}{{ true }}{{ None }}{{ -2 }}"),
            "ab421.5TrueNone-2");
  EXPECT_EQ(render("{{ cookiecutter.n }} {{ cookiecutter.things }} {{ cookiecutter.pairs }}"),
            "3 ['a', 'b', 'c'] {'x': '1', 'y': '2'}");
  EXPECT_EQ(render("{{ cookiecutter.name ~ '/' ~ cookiecutter.n }}"), "Knap Sack/3");
  EXPECT_EQ(render("{{ '}}' }}"), "}}");
}

TEST(RenderString, AppliesChainedFilters) {
  EXPECT_EQ(render("{{ cookiecutter.name|lower }}"), "knap sack");
  EXPECT_EQ(render("{{ cookiecutter.name|upper }}"), "KNAP SACK");
  EXPECT_EQ(render("{{ 'hello wORLD-x(y' | title }}"), "Hello World-X(Y");
  EXPECT_EQ(render("{{ cookiecutter.name|lower|replace(' ', '_') }}"), "knap_sack");
  EXPECT_EQ(render("{{ 'aaa'|replace('a', 'b', 2) }}"), "bba");
  EXPECT_EQ(render("{{ 'ab'|replace('', '-') }}"), "-a-b-");
  EXPECT_EQ(render("{{ '  x \n'|trim }}|{{ 'xxhixx'|trim('x') }}"), "x|hi");
  EXPECT_EQ(render("{{ cookiecutter.missing|default('dflt') }}"), "dflt");
  EXPECT_EQ(render("{{ cookiecutter.empty|default('dflt') }}|"), "|");
  EXPECT_EQ(render("{{ cookiecutter.empty|default('dflt', true) }}"), "dflt");
  EXPECT_EQ(render("{{ cookiecutter.missing|d }}|"), "|");
}

TEST(RenderString, CallsStringAndDictMethods) {
  EXPECT_EQ(render("{{ cookiecutter.name.lower().replace(' ', '_') }}"), "knap_sack");
  EXPECT_EQ(render("{{ ' x '.strip() }}{{ cookiecutter.slug.startswith('knap') }}"), "xTrue");
  EXPECT_EQ(render("{% for k, v in cookiecutter.pairs.items() %}{{k}}={{v}};{% endfor %}"),
            "x=1;y=2;");
  EXPECT_NE(error_of("{{ cookiecutter.name.zfill(3) }}").find("unsupported string method"),
            std::string::npos);
}

TEST(RenderString, EvaluatesConditions) {
  EXPECT_EQ(render("{% if cookiecutter.slug == 'knap-sack' %}eq{% endif %}"), "eq");
  EXPECT_EQ(render("{% if cookiecutter.slug != 'x' and not cookiecutter.empty %}y{% endif %}"),
            "y");
  EXPECT_EQ(render("{% if cookiecutter.empty or cookiecutter.none %}y{% else %}n{% endif %}"), "n");
  // Cookiecutter turns JSON false into the string "False", which is truthy.
  EXPECT_EQ(render("{% if cookiecutter.flag %}t{% endif %}{% if cookiecutter.no %}f{% endif %}"),
            "t");
  EXPECT_EQ(render("{% if 'b' in cookiecutter.things %}in{% endif %}"), "in");
  EXPECT_EQ(render("{% if 'z' not in cookiecutter.things %}out{% endif %}"), "out");
  EXPECT_EQ(render("{% if 'nap' in cookiecutter.name|lower %}sub{% endif %}"), "sub");
  EXPECT_EQ(render("{% if 'x' in cookiecutter.pairs %}key{% endif %}"), "key");
  EXPECT_EQ(render("{% if cookiecutter.n > 2 and cookiecutter.n <= 3 %}range{% endif %}"), "range");
  EXPECT_EQ(render("{% if cookiecutter.missing is defined %}d{% elif cookiecutter.name is "
                   "not none %}nn{% endif %}"),
            "nn");
  EXPECT_EQ(render("{% if cookiecutter.n == 1 %}1{% elif cookiecutter.n == 2 %}2"
                   "{% elif cookiecutter.n == 3 %}3{% else %}x{% endif %}"),
            "3");
  EXPECT_EQ(render("{% if cookiecutter.n == 9 %}1{% elif false %}2{% else %}else{% endif %}"),
            "else");
  EXPECT_EQ(render("{% if cookiecutter.yes == 1 %}py{% endif %}"), "py");
  EXPECT_EQ(render("{% if (cookiecutter.n == 3) and (cookiecutter.yes) %}p{% endif %}"), "p");
}

TEST(RenderString, LoopsWithLoopVariables) {
  EXPECT_EQ(render("{% for x in cookiecutter.things %}{{ loop.index }}{{ x }}"
                   "{% if loop.first %}F{% endif %}{% if not loop.last %},{% endif %}{% endfor %}"),
            "1aF,2b,3c");
  EXPECT_EQ(render("{% for x in [] %}x{% else %}none{% endfor %}"), "none");
  EXPECT_EQ(render("{% for c in 'ab' %}[{{ c }}]{% endfor %}"), "[a][b]");
  EXPECT_EQ(render("{% for k in cookiecutter.pairs %}{{ k }}{% endfor %}"), "xy");
  EXPECT_EQ(render("{% for a in [1, 2] %}{% for b in ['x'] %}{{a}}{{b}}{{loop.length}}"
                   "{% endfor %}{% endfor %}"),
            "1x12x1");
  EXPECT_NE(error_of("{% for x in [1] %}{% endfor %}{{ x }}").find("'x' is undefined"),
            std::string::npos);
}

TEST(RenderString, RawBlocksAndComments) {
  EXPECT_EQ(render("{% raw %}{{ not.rendered }}{% if %}{% endraw %}!"),
            "{{ not.rendered }}{% if %}!");
  EXPECT_EQ(render("a{# a comment {{ x }} #}b"), "ab");
  EXPECT_EQ(render("a\n{#- c -#}\nb"), "ab");
  EXPECT_EQ(render("x {%- raw -%}  {{ y }}  {%- endraw -%} z"), "x{{ y }}z");
}

TEST(RenderString, WhitespaceControlMatchesJinja) {
  // Without '-', block tags keep the following newline (trim_blocks is off).
  EXPECT_EQ(render("a\n{% if true %}\nb\n{% endif %}\nc\n"), "a\n\nb\n\nc\n");
  EXPECT_EQ(render("a\n{%- if true -%}\nb\n{%- endif %}\nc"), "ab\nc");
  EXPECT_EQ(render("a  {{- cookiecutter.n -}}  \n b"), "a3b");
  EXPECT_EQ(render("  {%+ if true +%}  x{% endif %}"), "    x");
  EXPECT_EQ(render("{% for x in cookiecutter.things -%}\n  {{ x }}\n{%- endfor %}"), "abc");
}

TEST(RenderString, KeepsTrailingNewlineAndNormalisesLineEnds) {
  EXPECT_EQ(render("x\n\n"), "x\n\n");
  EXPECT_EQ(render("a\r\nb\rc\r\n"), "a\nb\nc\n");
}

TEST(RenderString, ReportsSyntaxErrorsWithFileAndLine) {
  EXPECT_EQ(error_of("a\nb\n{{ cookiecutter.name|foo }}"), "model.py:3: unknown filter 'foo'");
  EXPECT_EQ(error_of("\n{% macro m() %}{% endmacro %}"), "model.py:2: unknown tag 'macro'");
  EXPECT_EQ(error_of("{% include 'x' %}"), "model.py:1: unknown tag 'include'");
  EXPECT_EQ(error_of("x\n{{ a"), "model.py:2: unterminated '{{'");
  EXPECT_EQ(error_of("{% if true"), "model.py:1: unterminated '{%'");
  EXPECT_EQ(error_of("{# open"), "model.py:1: unterminated comment '{#'");
  EXPECT_EQ(error_of("\n{% raw %}x"), "model.py:2: 'raw' block is never closed with 'endraw'");
  EXPECT_EQ(error_of("\n\n{% if true %}x"), "model.py:3: 'if' block opened here is never closed");
  EXPECT_EQ(error_of("{% for x in [1] %}"), "model.py:1: 'for' block opened here is never closed");
  EXPECT_EQ(error_of("x\n{% endif %}"), "model.py:2: unexpected 'endif'");
  EXPECT_EQ(error_of("{% if true %}{% else %}{% else %}{% endif %}"),
            "model.py:1: unexpected 'else'");
  EXPECT_EQ(error_of("{{ cookiecutter.n + 1 }}"), "model.py:1: unsupported operator '+'");
  EXPECT_EQ(error_of("{{ range(3) }}"), "model.py:1: calling functions is not supported");
  EXPECT_EQ(error_of("{{ 'a'|replace('a') }}"),
            "model.py:1: filter 'replace' takes 2 to 3 argument(s), got 1");
  EXPECT_EQ(error_of("{{ x is odd }}"), "model.py:1: unknown test 'odd'");
  EXPECT_EQ(error_of("{{ 'unterminated }}"), "model.py:1: unterminated '{{'");
  EXPECT_EQ(error_of("{{ }}"), "model.py:1: expected an expression");
  EXPECT_EQ(error_of("{% %}"), "model.py:1: empty tag '{% %}'");
  EXPECT_EQ(error_of("{{ 1 $ 2 }}"), "model.py:1: unexpected character '$'");
}

TEST(RenderString, RejectsDictMethodNamesAsAttributes) {
  const OrderedJson context = {{"cookiecutter", {{"items", "x"}}}};
  auto r = render_string("{{ cookiecutter.items }}", context, "f");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "f:1: 'cookiecutter.items' is a dict method in Jinja; write cookiecutter['items']");
  EXPECT_EQ(*render_string("{{ cookiecutter['items'] }}", context, "f"), "x");
}

TEST(RenderString, ReportsUndefinedVariablesByName) {
  EXPECT_EQ(error_of("\n{{ cookiecutter.nope }}"), "model.py:2: 'cookiecutter.nope' is undefined");
  EXPECT_EQ(error_of("{{ project_name }}"), "model.py:1: 'project_name' is undefined");
  EXPECT_EQ(error_of("{% if cookiecutter.nope %}{% endif %}"),
            "model.py:1: 'cookiecutter.nope' is undefined");
  EXPECT_EQ(error_of("{{ cookiecutter.nope.deeper }}"),
            "model.py:1: 'cookiecutter.nope' is undefined");
  EXPECT_EQ(error_of("{{ cookiecutter.nope|lower }}"),
            "model.py:1: 'cookiecutter.nope' is undefined");
  // An untaken branch may mention anything, as in Jinja.
  EXPECT_EQ(render("{% if false %}{{ nope }}{% endif %}"), "");
}

TEST(RenderString, EnforcesLimits) {
  Limits small;
  small.max_loop_iterations = 5;
  auto r = render_string("{% for x in [1,2,3] %}{% for y in [1,2] %}{% endfor %}{% endfor %}",
                         kContext, "t", small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTooLarge);
  EXPECT_EQ(r.error().message, "t:1: more than 5 loop iterations");

  small = {};
  small.max_depth = 3;
  EXPECT_EQ(error_of("{% if 1 %}{% if 1 %}{% if 1 %}{% if 1 %}{% endif %}{% endif %}{% endif %}"
                     "{% endif %}",
                     small),
            "model.py:1: blocks nested too deeply");
  EXPECT_EQ(error_of("{{ ((((1)))) }}", small), "model.py:1: expression nested too deeply");
  EXPECT_EQ(error_of("{{ not not not not 1 }}", small), "model.py:1: expression nested too deeply");

  small = {};
  small.max_output_bytes = 10;
  EXPECT_EQ(error_of("{% for x in [1,2,3,4,5,6] %}ab{% endfor %}", small),
            "model.py:1: output exceeds 10 bytes");

  small = {};
  small.max_file_bytes = 4;
  EXPECT_EQ(error_of("12345", small), "model.py: template is larger than 4 bytes");

  // Deep nesting beyond the default limit is an error, not a stack overflow.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "(";
  EXPECT_NE(error_of("{{ " + deep + " }}").find("nested too deeply"), std::string::npos);
  std::string chain = "{{ 1";
  for (int i = 0; i < 100000; ++i) chain += " ~ 1";
  EXPECT_EQ(error_of(chain + " }}"), "model.py:1: expression nested too deeply");
  std::string negations(100000, '-');
  EXPECT_EQ(error_of("{{ " + negations + "1 }}"), "model.py:1: expression nested too deeply");
  std::string filters = "{{ 'a'";
  for (int i = 0; i < 100000; ++i) filters += "|lower";
  EXPECT_EQ(error_of(filters + " }}"), "model.py:1: expression nested too deeply");
}

TEST(Fnmatch, FollowsPythonRules) {
  using internal::fnmatch;
  EXPECT_TRUE(fnmatch("static/app.js", "static/*"));
  EXPECT_TRUE(fnmatch("a/b/c.raw", "*.raw"));  // '*' crosses '/'
  EXPECT_TRUE(fnmatch("x1", "x?"));
  EXPECT_TRUE(fnmatch("b.txt", "[abc].txt"));
  EXPECT_TRUE(fnmatch("d.txt", "[!abc].txt"));
  EXPECT_TRUE(fnmatch("m.txt", "[a-z].txt"));
  EXPECT_TRUE(fnmatch("[.txt", "[.txt"));  // unclosed '[' is literal
  EXPECT_FALSE(fnmatch("static", "static/*"));
  EXPECT_FALSE(fnmatch("a.txt", "[!abc].txt"));
  EXPECT_FALSE(fnmatch("Static/x", "static/*"));
  EXPECT_FALSE(fnmatch(std::string(200, 'a'), "*a*a*a*a*a*a*a*a*a*a*b"));
}

TEST(BinaryDetection, TreatsNulFfInvalidUtf8AndPycAsBinary) {
  using internal::is_binary;
  EXPECT_FALSE(is_binary("a.txt", "plain text \xc3\xa9\n"));
  EXPECT_FALSE(is_binary("empty", ""));
  EXPECT_TRUE(is_binary("a.bin", std::string("ab\0cd", 5)));
  EXPECT_TRUE(is_binary("a.bin", "ab\xff"));
  EXPECT_TRUE(is_binary("latin1.txt", "caf\xe9"));
  EXPECT_TRUE(is_binary("m.pyc", "text"));
  EXPECT_FALSE(internal::is_valid_utf8("\xed\xa0\x80"));  // a surrogate
}

}  // namespace
}  // namespace orsa::templating
