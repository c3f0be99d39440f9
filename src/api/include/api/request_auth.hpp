#pragma once

// What the wiring needs of the API's authentication besides the routes: the
// cookie mode, and resolving a request's caller (the gateway asks it for
// private deployments).

#include "auth/credentials.hpp"
#include "auth/policy.hpp"
#include "core/error.hpp"
#include "http/message.hpp"

namespace orsa::api {

/// Whether ORSA is served over TLS (--public-url https://…): its cookies are
/// then "__Host-"-prefixed and Secure, and only those names are accepted.
/// Set once at start, before serving.
void set_tls_cookies(bool tls);

/// The caller from a bearer token or the session cookie (with the CSRF
/// check for unsafe methods).
Result<auth::Principal> authenticate_request(auth::CredentialResolver& credentials,
                                             const http::Request& req);

}  // namespace orsa::api
