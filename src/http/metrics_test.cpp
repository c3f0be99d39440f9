#include "http/metrics.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace orsa::http {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const auto& l : lines_of(text)) {
    if (l == line) return true;
  }
  return false;
}

TEST(Metrics, RendersRequestCounters) {
  Metrics m;
  m.observe_request("GET", "/api/v1/builds/{id}", 200, 0.002);
  m.observe_request("GET", "/api/v1/builds/{id}", 200, 0.003);
  m.observe_request("POST", "unmatched", 404, 0.0001);
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# TYPE orsa_http_requests_total counter")) << text;
  EXPECT_TRUE(has_line(text,
                       "# HELP orsa_http_requests_total HTTP requests served, by method, "
                       "route and status."));
  EXPECT_TRUE(has_line(
      text,
      "orsa_http_requests_total{method=\"GET\",route=\"/api/v1/builds/{id}\",status=\"200\"} 2"))
      << text;
  EXPECT_TRUE(has_line(
      text, "orsa_http_requests_total{method=\"POST\",route=\"unmatched\",status=\"404\"} 1"));
}

TEST(Metrics, RendersCumulativeHistogramBuckets) {
  Metrics m;
  m.observe_request("GET", "/x", 200, 0.0004);  // first bucket
  m.observe_request("GET", "/x", 200, 0.03);    // le=0.05
  m.observe_request("GET", "/x", 500, 60);      // only +Inf
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# TYPE orsa_http_request_duration_seconds histogram"));
  const std::string b = "orsa_http_request_duration_seconds_bucket{route=\"/x\",le=\"";
  EXPECT_TRUE(has_line(text, b + "0.0005\"} 1")) << text;
  EXPECT_TRUE(has_line(text, b + "0.025\"} 1"));
  EXPECT_TRUE(has_line(text, b + "0.05\"} 2"));
  EXPECT_TRUE(has_line(text, b + "10\"} 2"));
  EXPECT_TRUE(has_line(text, b + "+Inf\"} 3"));
  EXPECT_TRUE(has_line(text, "orsa_http_request_duration_seconds_count{route=\"/x\"} 3"));
  bool found_sum = false;
  for (const auto& l : lines_of(text)) {
    const std::string prefix = "orsa_http_request_duration_seconds_sum{route=\"/x\"} ";
    if (l.starts_with(prefix)) {
      found_sum = true;
      EXPECT_NEAR(std::stod(l.substr(prefix.size())), 60.0304, 1e-9);
    }
  }
  EXPECT_TRUE(found_sum);
}

TEST(Metrics, BoundaryValueFallsInItsBucket) {
  Metrics m;
  m.observe_request("GET", "/x", 200, 0.001);
  const std::string text = m.render();
  const std::string b = "orsa_http_request_duration_seconds_bucket{route=\"/x\",le=\"";
  EXPECT_TRUE(has_line(text, b + "0.0005\"} 0")) << text;
  EXPECT_TRUE(has_line(text, b + "0.001\"} 1")) << text;
}

TEST(Metrics, EscapesLabelValuesAndFoldsUnknownMethods) {
  Metrics m;
  m.observe_request("BREW", "/a\"b\\c\nd", 418, 0.01);
  const std::string text = m.render();
  EXPECT_TRUE(has_line(
      text,
      "orsa_http_requests_total{method=\"OTHER\",route=\"/a\\\"b\\\\c\\nd\",status=\"418\"} 1"))
      << text;
  EXPECT_EQ(text.find("BREW"), std::string::npos);
}

TEST(Metrics, RendersGauges) {
  Metrics m;
  m.set_gauge("orsa_http_open_connections", "Open HTTP connections.", 3);
  m.set_gauge("orsa_http_open_connections", "Open HTTP connections.", 5);
  const std::string text = m.render();
  EXPECT_TRUE(has_line(text, "# HELP orsa_http_open_connections Open HTTP connections."));
  EXPECT_TRUE(has_line(text, "# TYPE orsa_http_open_connections gauge"));
  EXPECT_TRUE(has_line(text, "orsa_http_open_connections 5")) << text;
  EXPECT_FALSE(has_line(text, "orsa_http_open_connections 3"));
}

}  // namespace
}  // namespace orsa::http
