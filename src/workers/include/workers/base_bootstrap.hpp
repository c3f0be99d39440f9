#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "oci/blob_store.hpp"
#include "services/accounts.hpp"
#include "store/store.hpp"

namespace orsa::workers {

struct BaseBootstrapOptions {
  std::string name;  // recipe under <templates>/bases, e.g. "python-or"
  std::filesystem::path builder_bin;
  std::filesystem::path bases_dir;
  std::filesystem::path work_dir;
  std::string admin_username;  // the push token is issued on this admin's behalf
};

/// Builds a missing base image once, in the background, so that a fresh
/// embedded install can build projects with no manual step (`--ensure-base`).
/// The builder's progress goes to this process's stdout.
class BaseBootstrap {
 public:
  BaseBootstrap(oci::BlobStore& blobs, store::Store& store, services::Accounts& accounts,
                BaseBootstrapOptions options);
  ~BaseBootstrap();  // stops a running base build

  /// Starts `orsa-builder base build` against `registry_url` unless
  /// orsa/base-<name>:latest exists already.
  Result<void> start(const std::string& registry_url);

 private:
  struct Worker;
  oci::BlobStore& blobs_;
  store::Store& store_;
  services::Accounts& accounts_;
  BaseBootstrapOptions options_;
  std::unique_ptr<Worker> worker_;
};

}  // namespace orsa::workers
