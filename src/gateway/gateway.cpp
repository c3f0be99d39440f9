#include "gateway/gateway.hpp"

#include <memory>
#include <string>

#include "gateway/service_urls.hpp"
#include "http/server.hpp"
#include "proxy.hpp"

namespace orsa::gateway {

Gateway::Gateway(RouteTable& routes, Options options, Hooks hooks)
    : proxy_(std::make_shared<Proxy>(routes, std::move(options), std::move(hooks))) {}

Gateway::~Gateway() = default;

void Gateway::mount(http::Server& server) {
  const auto label = proxy_->domain_mode() ? kDomainRouteLabel : kRouteLabel;
  server.set_passthrough(std::string(kPathPrefix), std::string(label), proxy_);
}

std::shared_ptr<http::PassthroughHandler> Gateway::handler() const {
  return proxy_;
}

namespace {

/// The old /s/ paths on ORSA's origin: a redirect to the service, whether or
/// not it exists (the answer must not tell), and nothing else.
class LegacyRedirect final : public http::PassthroughHandler {
 public:
  explicit LegacyRedirect(ServiceUrlOf service_url) : service_url_(std::move(service_url)) {}

  asio::awaitable<http::PassthroughResult> serve(http::PassthroughExchange ex) override {
    Call call(ex, options_);
    co_return co_await send_reply(call, answer(call.target()));
  }

 private:
  http::Response answer(std::string_view target) const {
    // "/s/<owner>/<project><rest>" parsed as the services listener parses "/<owner>/…".
    const auto t = parse_target(target.substr(kLegacyPrefix.size() - 1));
    if (!t) return not_found();
    auto location = service_url_(t->owner, t->project);
    if (!location) return not_found();
    std::string_view rest = t->upstream;  // "", "?query", "/path…"
    if (rest.starts_with('/')) rest.remove_prefix(1);
    location->append(rest);
    http::Response res;
    res.status = 308;  // unlike 301/302, keeps the method and the body
    res.set_header("Location", std::move(*location));
    res.set_header("Content-Type", "text/plain; charset=utf-8");
    return res;
  }

  const Options options_;
  const ServiceUrlOf service_url_;
};

}  // namespace

void mount_legacy_redirect(http::Server& server, ServiceUrlOf service_url) {
  server.set_passthrough(std::string(kLegacyPrefix), std::string(kLegacyRouteLabel),
                         std::make_shared<LegacyRedirect>(std::move(service_url)));
}

}  // namespace orsa::gateway
