#pragma once

// The reverse proxy behind Gateway: serve() (proxy.cpp) finds the route and
// decides; forward() (proxy_forward.cpp) moves the exchange upstream and back.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string_view>

#include "balancer.hpp"
#include "exchange.hpp"
#include "gateway/gateway.hpp"
#include "rewrite.hpp"
#include "upstream_pool.hpp"

namespace orsa::gateway {

class Gateway::Proxy final : public http::PassthroughHandler {
 public:
  Proxy(RouteTable& routes, Options options, Hooks hooks)
      : routes_(routes),
        options_(std::move(options)),
        hooks_(std::move(hooks)),
        pool_(options_.max_idle_per_upstream, options_.idle_timeout),
        balancer_{.eject_after = options_.eject_after_failures, .ejection = options_.ejection} {}

  asio::awaitable<http::PassthroughResult> serve(http::PassthroughExchange ex) override;
  void on_server_stopped() override { pool_.clear(); }
  bool domain_mode() const { return !options_.services_domain.empty(); }

 private:
  using Found = RouteTable::Recorder::Found;

  std::optional<Target> target_of(Call& call) const;
  std::string_view cors_origin(Call& call) const;
  ResponsePolicy response_policy(Call& call) const {
    return {.shared_origin = options_.services_domain.empty(), .cors_origin = cors_origin(call)};
  }
  asio::awaitable<Admission> admit(Call& call, const Route& route);
  asio::awaitable<Found> wait_for_wake(Call& call, const Target& t, Found found);
  asio::awaitable<http::PassthroughResult> forward(Call& call, const Target& t, Found found,
                                                   Recording& recording);
  /// The replica for the next attempt of a call (balancer.hpp).
  static std::optional<std::size_t> next_replica(const ReplicaGauges& gauges, TriedSet tried);
  /// Counts a failed exchange against a replica (and says when it is ejected).
  void note_failure(UpstreamGauge& gauge, const Upstream& upstream);
  asio::awaitable<beast::error_code> connect(Call& call, UpstreamConn& conn,
                                             const Upstream& upstream);
  asio::awaitable<Sent> send_request(Call& call, UpstreamConn& up, bool expect_continue,
                                     beast::error_code& ec);
  asio::awaitable<http::PassthroughResult> relay_response(Call& call, UpstreamConn& up,
                                                          ResponseParser& rp,
                                                          const Upstream& upstream,
                                                          Recording& recording, bool& reusable);
  asio::awaitable<http::PassthroughResult> reply(Call& call, http::Response res);

  RouteTable& routes_;
  const Options options_;
  const Hooks hooks_;
  ConnectionPool pool_;
  const BalancerPolicy balancer_;
};

}  // namespace orsa::gateway
