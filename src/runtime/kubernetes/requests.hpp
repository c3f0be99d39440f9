#pragma once

// Requests to the Kubernetes API server shared by the runtime's halves
// (workloads and jobs): label selectors and reading answers.

#include <map>
#include <string>
#include <string_view>

#include "api_client.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

namespace orsa::runtime::kubernetes {

/// What a label value may be: at most 63 of [A-Za-z0-9-_.], alphanumeric at
/// both ends (or empty).
bool is_label_value(std::string_view v);

/// "k=v,k2=v2" of the pairs a label selector can carry; the others (values
/// no label may hold, kept as annotations) are checked on the answers.
std::string label_selector(const std::map<std::string, std::string>& labels);

/// Whether `have` holds every pair of `wanted`.
bool has_labels(const std::map<std::string, std::string>& have,
                const std::map<std::string, std::string>& wanted);

/// An answer's JSON object; kUnavailable when it is not one.
Result<Json> parse(const ApiReply& reply, const std::string& what);

/// The items of a list answer (none when it has none).
Result<Json> read_list(ApiClient& api, const std::string& path, const std::string& what);

}  // namespace orsa::runtime::kubernetes
