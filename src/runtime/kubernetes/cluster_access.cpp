// How ORSA finds and authenticates to a Kubernetes API server: a pod's
// service account, or a context of a kubeconfig file.

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/random.hpp"
#include "core/strings.hpp"
#include "runtime/kubernetes_runtime.hpp"

namespace orsa::runtime {
namespace {

// A kubeconfig is small; anything larger is not one.
constexpr std::uintmax_t kMaxKubeconfigBytes = 1024 * 1024;

Result<std::string> read_small_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(Error::not_found("cannot read " + path.string() + ": " + ec.message()));
  if (size > kMaxKubeconfigBytes) {
    return fail(Error::too_large(path.string() + " is larger than 1 MiB"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Error::not_found("cannot read " + path.string()));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The entry named `name` in a kubeconfig list ("clusters", "users", ...).
YAML::Node named(const YAML::Node& list, const std::string& name) {
  if (!list.IsSequence()) return {};
  for (const auto& entry : list) {
    if (entry["name"] && entry["name"].as<std::string>() == name) return entry;
  }
  return {};
}

std::string text(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

// "-data" fields are base64 PEM; plain ones name a file, relative to the kubeconfig.
Result<std::string> pem_of(const YAML::Node& node, const char* file_key, const char* data_key,
                           const std::filesystem::path& base) {
  if (const std::string data = text(node, data_key); !data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) return fail(Error::invalid_argument(std::string(data_key) + " is not base64"));
    return *decoded;
  }
  const std::string file = text(node, file_key);
  if (file.empty()) return std::string();
  const std::filesystem::path path =
      std::filesystem::path(file).is_absolute() ? std::filesystem::path(file) : base / file;
  return read_small_file(path);
}

Result<ClusterAccess> from_kubeconfig(const YAML::Node& doc, std::string_view wanted,
                                      const std::filesystem::path& base) {
  const std::string context_name =
      wanted.empty() ? text(doc, "current-context") : std::string(wanted);
  if (context_name.empty()) return fail(Error::invalid_argument("the kubeconfig names no context"));
  const YAML::Node context = named(doc["contexts"], context_name)["context"];
  if (!context)
    return fail(Error::not_found("no context '" + context_name + "' in the kubeconfig"));
  const YAML::Node cluster = named(doc["clusters"], text(context, "cluster"))["cluster"];
  if (!cluster) return fail(Error::not_found("the context's cluster is not in the kubeconfig"));
  const YAML::Node user = named(doc["users"], text(context, "user"))["user"];
  if (user && (user["exec"] || user["auth-provider"])) {
    return fail(Error::invalid_argument(
        "the kubeconfig's user needs an exec or auth-provider plugin; give ORSA a token or a "
        "client certificate instead"));
  }
  if (cluster["insecure-skip-tls-verify"] && cluster["insecure-skip-tls-verify"].as<bool>()) {
    return fail(Error::invalid_argument(
        "the kubeconfig's cluster skips TLS verification; ORSA verifies the server"));
  }
  ClusterAccess access;
  access.server = text(cluster, "server");
  if (!access.server.starts_with("https://") && !access.server.starts_with("http://")) {
    return fail(Error::invalid_argument("the kubeconfig's server is not an http(s) URL"));
  }
  while (access.server.ends_with('/')) access.server.pop_back();
  auto ca = pem_of(cluster, "certificate-authority", "certificate-authority-data", base);
  if (!ca) return fail(ca.error());
  access.ca_pem = std::move(*ca);
  access.namespace_ = text(context, "namespace");
  if (!user) return access;
  access.token = text(user, "token");
  if (const std::string file = text(user, "tokenFile"); !file.empty()) access.token_file = file;
  auto cert = pem_of(user, "client-certificate", "client-certificate-data", base);
  if (!cert) return fail(cert.error());
  auto key = pem_of(user, "client-key", "client-key-data", base);
  if (!key) return fail(key.error());
  if (cert->empty() != key->empty()) {
    return fail(Error::invalid_argument("the kubeconfig's user has a certificate without its key"));
  }
  access.client_cert_pem = std::move(*cert);
  access.client_key_pem = std::move(*key);
  return access;
}

}  // namespace

Result<ClusterAccess> in_cluster_access(const std::filesystem::path& secrets_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr) {
    return fail(Error::unavailable("not in a Kubernetes pod: KUBERNETES_SERVICE_HOST is not set"));
  }
  const std::string h = host;
  // An IPv6 service address goes in brackets.
  ClusterAccess access;
  access.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  auto ca = read_small_file(secrets_dir / "ca.crt");
  if (!ca) return fail(ca.error());
  access.ca_pem = std::move(*ca);
  access.token_file = secrets_dir / "token";
  if (auto ns = read_small_file(secrets_dir / "namespace"); ns) {
    access.namespace_ = std::string(trim(*ns));
  }
  return access;
}

Result<ClusterAccess> kubeconfig_access(const std::filesystem::path& file,
                                        std::string_view context) {
  auto content = read_small_file(file);
  if (!content) return fail(content.error());
  try {
    return from_kubeconfig(YAML::Load(*content), context, file.parent_path());
  } catch (const YAML::Exception& e) {
    return fail(Error::invalid_argument(file.string() + " is not a kubeconfig: " + e.what()));
  }
}

}  // namespace orsa::runtime
