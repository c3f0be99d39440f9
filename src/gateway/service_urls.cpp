#include "gateway/service_urls.hpp"

#include <algorithm>

namespace orsa::gateway {
namespace {

constexpr std::string_view kSeparator = "--";
constexpr std::size_t kMaxLabel = 63;  // RFC 1035 §2.3.4

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

/// The host without a trailing ":port" (IPv6 literals are never service hosts).
std::string_view without_port(std::string_view host) {
  const auto colon = host.rfind(':');
  if (colon == std::string_view::npos) return host;
  const auto port = host.substr(colon + 1);
  if (!std::ranges::all_of(port, [](char c) { return c >= '0' && c <= '9'; })) return host;
  return host.substr(0, colon);
}

}  // namespace

std::optional<std::string> service_label(std::string_view owner, std::string_view project) {
  if (owner.empty() || project.empty() || owner.front() == '-') return std::nullopt;
  if (owner.find(kSeparator) != std::string_view::npos) return std::nullopt;
  if (owner.find('.') != std::string_view::npos || project.find('.') != std::string_view::npos) {
    return std::nullopt;
  }
  if (project.find(kSeparator) != std::string_view::npos || project.back() == '-') {
    return std::nullopt;
  }
  if (project.size() + kSeparator.size() + owner.size() > kMaxLabel) return std::nullopt;
  std::string label(project);
  label += kSeparator;
  label += owner;
  return label;
}

std::optional<ServiceName> parse_service_host(std::string_view host, std::string_view domain) {
  host = without_port(host);
  if (domain.empty() || host.size() <= domain.size() + 1) return std::nullopt;
  const std::size_t dot = host.size() - domain.size() - 1;
  if (host[dot] != '.' || !iequals(host.substr(dot + 1), domain)) return std::nullopt;
  const std::string_view label = host.substr(0, dot);
  const auto sep = label.find(kSeparator);
  if (sep == std::string_view::npos) return std::nullopt;
  ServiceName name{.owner = label.substr(sep + kSeparator.size()), .project = label.substr(0, sep)};
  // Only the one label service_label() gives the pair names it.
  const auto canonical = service_label(name.owner, name.project);
  if (!canonical || *canonical != label) return std::nullopt;
  return name;
}

std::string ServiceUrls::csp_source() const {
  return domain.empty() ? origin : scheme + "://*." + domain;
}

std::optional<std::string> ServiceUrls::url(std::string_view owner,
                                            std::string_view project) const {
  if (!domain.empty()) {
    auto label = service_label(owner, project);
    if (!label) return std::nullopt;
    return scheme + "://" + *label + "." + domain + "/";
  }
  if (owner.empty() || project.empty()) return std::nullopt;
  return origin + "/" + std::string(owner) + "/" + std::string(project) + "/";
}

}  // namespace orsa::gateway
