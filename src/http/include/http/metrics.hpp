#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace orsa::http {

/// Request counters and latency histograms by route and status, rendered in
/// the Prometheus text exposition format. Thread-safe.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  /// One route's series, resolved once (see route_series()). Opaque.
  class RouteSeries;

  /// Records one finished request.
  void observe_request(std::string_view method, std::string_view route, int status, double seconds);
  /// A handle for `route`, valid as long as this object: observing through
  /// it takes no lock and no string-keyed lookup once a (method, status)
  /// pair has been seen. Series appear in render() only once observed, as
  /// with observe_request().
  const RouteSeries& route_series(std::string_view route);
  /// As observe_request(method, <the handle's route>, status, seconds).
  void observe_request(const RouteSeries& series, std::string_view method, int status,
                       double seconds);
  /// Sets a gauge such as open connections.
  void set_gauge(std::string_view name, std::string_view help, double value);
  /// Prometheus text format (version 0.0.4).
  std::string render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orsa::http
