#pragma once

#include "core/json.hpp"
#include "core/json_writer.hpp"
#include "source/repos.hpp"
#include "store/models.hpp"

namespace orsa::api {

/// Public JSON shapes of stored rows. Hashes and secrets are never included.
Json to_json(const store::User& user);
Json to_json(const store::ApiToken& token);
Json to_json(const store::Project& project);
/// The same shape as to_json(Project), written straight to text (list responses).
void write_json(JsonWriter& out, const store::Project& project);
Json to_json(const source::CommitInfo& commit);

}  // namespace orsa::api
