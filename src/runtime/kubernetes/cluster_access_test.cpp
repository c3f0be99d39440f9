#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "core/random.hpp"
#include "runtime/kubernetes_runtime.hpp"
#include "testing/temp_dir.hpp"

namespace orsa::runtime {
namespace {

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

constexpr const char* kCa = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

std::string kubeconfig(const std::string& user) {
  return "apiVersion: v1\nkind: Config\ncurrent-context: ops\n"
         "clusters:\n"
         "- name: prod\n  cluster:\n    server: https://10.0.0.1:6443/\n"
         "    certificate-authority-data: " +
         base64_encode(kCa) +
         "\n"
         "- name: lab\n  cluster:\n    server: https://lab:6443\n"
         "    certificate-authority: ca.pem\n"
         "contexts:\n"
         "- name: ops\n  context: {cluster: prod, user: robot, namespace: orsa-workloads}\n"
         "- name: lab\n  context: {cluster: lab, user: robot}\n"
         "users:\n"
         "- name: robot\n  user:\n" +
         user;
}

TEST(ClusterAccess, AKubeconfigContextGivesServerCaTokenAndNamespace) {
  testing::TempDir dir;
  write(dir.path() / "config", kubeconfig("    token: s3cret-token\n"));
  auto access = kubeconfig_access(dir.path() / "config");
  ASSERT_TRUE(access) << access.error().message;
  EXPECT_EQ(access->server, "https://10.0.0.1:6443");
  EXPECT_EQ(access->ca_pem, kCa);
  EXPECT_EQ(access->token, "s3cret-token");
  EXPECT_EQ(access->namespace_, "orsa-workloads");

  // Another context; its CA file is found beside the kubeconfig.
  write(dir.path() / "ca.pem", kCa);
  auto lab = kubeconfig_access(dir.path() / "config", "lab");
  ASSERT_TRUE(lab) << lab.error().message;
  EXPECT_EQ(lab->server, "https://lab:6443");
  EXPECT_EQ(lab->ca_pem, kCa);
  EXPECT_EQ(lab->namespace_, "");
}

TEST(ClusterAccess, AClientCertificateComesWithItsKey) {
  testing::TempDir dir;
  write(dir.path() / "config", kubeconfig("    client-certificate-data: " + base64_encode("CERT") +
                                          "\n    client-key-data: " + base64_encode("KEY") + "\n"));
  auto access = kubeconfig_access(dir.path() / "config");
  ASSERT_TRUE(access) << access.error().message;
  EXPECT_EQ(access->client_cert_pem, "CERT");
  EXPECT_EQ(access->client_key_pem, "KEY");
  EXPECT_EQ(access->token, "");

  write(dir.path() / "config",
        kubeconfig("    client-certificate-data: " + base64_encode("CERT") + "\n"));
  EXPECT_EQ(kubeconfig_access(dir.path() / "config").error().code, ErrorCode::kInvalidArgument);
}

TEST(ClusterAccess, PluginsSkippedVerificationAndBadFilesAreRefused) {
  testing::TempDir dir;
  // ORSA runs no program a kubeconfig names.
  write(dir.path() / "config", kubeconfig("    exec:\n      command: /bin/evil\n"));
  auto exec = kubeconfig_access(dir.path() / "config");
  ASSERT_FALSE(exec);
  EXPECT_NE(exec.error().message.find("exec"), std::string::npos);

  write(dir.path() / "config",
        "current-context: a\nclusters: [{name: c, cluster: {server: 'https://x', "
        "insecure-skip-tls-verify: true}}]\ncontexts: [{name: a, context: {cluster: c}}]\n");
  EXPECT_EQ(kubeconfig_access(dir.path() / "config").error().code, ErrorCode::kInvalidArgument);

  write(dir.path() / "config", kubeconfig("    token: t\n"));
  EXPECT_EQ(kubeconfig_access(dir.path() / "config", "nope").error().code, ErrorCode::kNotFound);
  write(dir.path() / "config", "clusters: [unclosed");
  EXPECT_EQ(kubeconfig_access(dir.path() / "config").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(kubeconfig_access(dir.path() / "missing").error().code, ErrorCode::kNotFound);
  write(dir.path() / "big", std::string(2 * 1024 * 1024, '#'));
  EXPECT_EQ(kubeconfig_access(dir.path() / "big").error().code, ErrorCode::kTooLarge);
}

TEST(ClusterAccess, InAPodTheServiceAccountIsUsed) {
  testing::TempDir dir;
  write(dir.path() / "ca.crt", kCa);
  write(dir.path() / "token", "projected-token\n");
  write(dir.path() / "namespace", "orsa\n");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto access = in_cluster_access(dir.path());
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(access) << access.error().message;
  EXPECT_EQ(access->server, "https://10.96.0.1:443");
  EXPECT_EQ(access->ca_pem, kCa);
  EXPECT_EQ(access->token_file, dir.path() / "token");  // read on each call: it rotates
  EXPECT_EQ(access->namespace_, "orsa");
  EXPECT_EQ(in_cluster_access(dir.path()).error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace orsa::runtime
