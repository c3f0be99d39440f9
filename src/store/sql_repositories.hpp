#pragma once

#include <memory>

#include "database.hpp"
#include "store/audit.hpp"
#include "store/builds.hpp"
#include "store/consumers.hpp"
#include "store/deployments.hpp"
#include "store/identities.hpp"
#include "store/images.hpp"
#include "store/leases.hpp"
#include "store/projects.hpp"
#include "store/runs.hpp"
#include "store/sessions.hpp"
#include "store/tokens.hpp"
#include "store/users.hpp"

// The SQL repositories, one per table (each in its own file), over one Database.
namespace orsa::store {

std::unique_ptr<UserStore> sql_user_store(Database& db);
std::unique_ptr<SessionStore> sql_session_store(Database& db);
std::unique_ptr<TokenStore> sql_token_store(Database& db);
std::unique_ptr<ProjectStore> sql_project_store(Database& db);
std::unique_ptr<BuildStore> sql_build_store(Database& db);
std::unique_ptr<ImageStore> sql_image_store(Database& db);
std::unique_ptr<DeploymentStore> sql_deployment_store(Database& db);
std::unique_ptr<AuditStore> sql_audit_store(Database& db);
std::unique_ptr<RunStore> sql_run_store(Database& db);
std::unique_ptr<ConsumerKeyStore> sql_consumer_key_store(Database& db);
std::unique_ptr<UsageStore> sql_usage_store(Database& db);
std::unique_ptr<IdentityStore> sql_identity_store(Database& db);
std::unique_ptr<LeaseStore> sql_lease_store(Database& db);

}  // namespace orsa::store
