#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "deployer/config.hpp"
#include "http/router.hpp"
#include "runtime/runtime.hpp"

namespace orsa::deployer {

/// The control plane wired together: adapters built from the Config,
/// services on top, routes on the HTTP server.
class Deployer {
 public:
  /// Adapters given ready-made instead of built from the Config.
  struct Adapters {
    // The container runtime; none: the Docker API at --runtime-socket, or a
    // private podman service.
    std::unique_ptr<runtime::Runtime> runtime;
  };

  /// Opens the data dir, database (migrating it), repositories and signing
  /// key, and creates the bootstrap admin on an empty database.
  static Result<std::unique_ptr<Deployer>> create(const Config& config, Adapters adapters = {});
  ~Deployer();

  /// The admin password generated on this start, if one was (print once).
  const std::optional<std::string>& generated_admin_password() const;

  /// Starts serving; returns the bound port.
  Result<std::uint16_t> start();
  /// Graceful stop; safe from another thread.
  void stop();
  /// Blocks until the server has stopped.
  void wait();
  /// "http://HOST:PORT" of the services listener, once started.
  const std::string& services_listen_url() const;
  /// The jobs listener's URL as jobs reach it, once started; "" without one.
  const std::string& jobs_url() const;

  const http::Router& router() const;

  struct Parts;  // the wired adapters and services; defined in deployer.cpp

 private:
  explicit Deployer(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace orsa::deployer
