#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace orsa::deployer {

/// Whether `id` may name a control-plane instance: 1-64 of [A-Za-z0-9._-].
bool valid_instance_id(std::string_view id);

/// This instance's id for leases (ADR 0019): `configured` when given, else
/// the one kept in <data dir>/instance-id, made on the first start. Kept so
/// that a restarted process (even after kill -9) takes back its own lease at
/// once instead of waiting for it to expire.
Result<std::string> instance_id(const std::filesystem::path& data_dir, std::string_view configured);

}  // namespace orsa::deployer
