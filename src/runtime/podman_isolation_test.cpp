// What contains a deployed container: capabilities, users, user namespaces,
// the log cap and its networks.

#include "podman_test_support.hpp"

namespace orsa::runtime {
namespace {

using namespace podman_testing;

TEST_F(PodmanRuntime, ContainersRunWithoutCapabilitiesOrNewPrivileges) {
  ContainerSpec s = spec("orsa-it-caps-" + deployment_);
  s.labels[kLabelDeployment] = deployment_ + "-caps";
  s.open_files_limit = 200;
  s.command = {"/bin/busybox", "sh", "-c",
               "/bin/busybox grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status | "
               "/bin/busybox tr -d '\\t' | /bin/busybox sed 's/:/ /'; "
               "echo nofile $(ulimit -n); "
               "echo uid $(/bin/busybox id -u); "
               "echo uidmap $(/bin/busybox head -n1 /proc/self/uid_map); "
               "if /bin/busybox chown 1:1 /tmp 2>/dev/null; then echo chown allowed; "
               "else echo chown denied; fi; echo done; exec /bin/busybox sleep 600"};
  auto id = run_own(s);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  const auto lines = logs_until(*runtime_, *id, "done");
  EXPECT_EQ(value_of(lines, "CapEff"), "0000000000000000");
  EXPECT_EQ(value_of(lines, "CapPrm"), "0000000000000000");
  EXPECT_EQ(value_of(lines, "CapBnd"), "0000000000000000");
  EXPECT_EQ(value_of(lines, "NoNewPrivs"), "1");
  EXPECT_EQ(value_of(lines, "nofile"), "200");
  // uid 0 without CAP_CHOWN cannot even change an owner in its own /tmp.
  EXPECT_EQ(value_of(lines, "chown"), "denied");
  const auto pids = podman({"inspect", "--format", "{{.HostConfig.PidsLimit}}", *id});
  EXPECT_EQ(pids.output, "64\n");
  EXPECT_TRUE(runtime_->remove(*id).has_value());
}

// Item: a numeric user makes the process a non-root uid on the host too.
TEST_F(PodmanRuntime, ANumericUserIsNotRootOnTheHost) {
  ContainerSpec s = spec("orsa-it-user-" + deployment_);
  s.labels[kLabelDeployment] = deployment_ + "-user";
  s.user = "65534:65534";
  s.command = {"/bin/busybox", "sh", "-c",
               "echo uid $(/bin/busybox id -u); echo done; "
               "exec /bin/busybox sleep 600"};
  auto id = run_own(s);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  const auto lines = logs_until(*runtime_, *id, "done");
  EXPECT_EQ(value_of(lines, "uid"), "65534");
  const auto top = podman({"top", *id, "huser"});
  EXPECT_EQ(top.status, 0) << top.output;
  // The host's name for uid 65534, or the number where it has none.
  EXPECT_TRUE(top.output.find("65534") != std::string::npos ||
              top.output.find("nobody") != std::string::npos)
      << top.output;
  EXPECT_EQ(top.output.find("root"), std::string::npos) << top.output;
  EXPECT_TRUE(runtime_->remove(*id).has_value());
}

// Item: userns=auto. Podman allocates each container's range from the
// "containers" entries in /etc/subuid and /etc/subgid: where they exist, root
// in the container maps to a high host uid; where not, the create fails
// with podman's reason rather than silently running without one.
TEST_F(PodmanRuntime, UserNamespaceAutoMapsRootAwayOrSaysWhyNot) {
  DockerApiRuntime with_userns(
      DockerApiOptions{.socket_path = service_->socket_path(), .userns_mode = "auto"});
  ContainerSpec s = spec("orsa-it-userns-" + deployment_);
  s.labels[kLabelDeployment] = deployment_ + "-userns";
  s.command = {"/bin/busybox", "sh", "-c",
               "echo uidmap $(/bin/busybox head -n1 /proc/self/uid_map); echo done; "
               "exec /bin/busybox sleep 600"};
  const std::string subuid = read_file("/etc/subuid").value_or("");
  const bool configured =
      subuid.starts_with("containers:") || subuid.find("\ncontainers:") != std::string::npos;
  auto id = with_userns.run(s);
  if (id) own_.push_back(*id);
  if (!configured) {
    ASSERT_FALSE(id.has_value()) << "userns=auto ran without /etc/subuid ranges";
    EXPECT_NE(id.error().message.find("available IDs"), std::string::npos) << id.error().message;
    return;
  }
  ASSERT_TRUE(id.has_value()) << id.error().message;
  const auto lines = logs_until(with_userns, *id, "done");
  std::istringstream map(value_of(lines, "uidmap"));
  long inside = -1, outside = -1;
  map >> inside >> outside;
  EXPECT_EQ(inside, 0);
  EXPECT_GT(outside, 0) << "root in the container is root on the host";
  EXPECT_TRUE(with_userns.remove(*id).has_value());
}

// Item: a container writing to stdout without end keeps its log under the cap.
TEST_F(PodmanRuntime, AnEndlessWriterKeepsItsLogUnderTheCap) {
  ContainerSpec s = spec("orsa-it-flood-" + deployment_);
  s.labels[kLabelDeployment] = deployment_ + "-flood";
  s.log_max_bytes = 256 * 1024;
  s.command = {
      "/bin/busybox", "sh", "-c",
      "i=0; while true; do i=$((i+1)); "
      "echo \"flood $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; done"};
  auto id = run_own(s);
  ASSERT_TRUE(id.has_value()) << id.error().message;
  const auto path = podman({"inspect", "--format", "{{.HostConfig.LogConfig.Path}}", *id});
  ASSERT_EQ(path.status, 0) << path.output;
  const std::string log_file = path.output.substr(0, path.output.find('\n'));
  // Written: at least 40 times the cap (each line is ~80 bytes).
  long written = 0;
  EXPECT_TRUE(eventually(
      60s,
      [&] {
        LogOptions last;
        last.tail = 1;
        (void)runtime_->logs(*id, last, [&](const LogLine& l) {
          if (l.text.starts_with("flood ")) written = std::atol(l.text.c_str() + 6) * 80;
          return true;
        });
        return written > 40 * s.log_max_bytes;
      },
      "40 times the cap written", [&] { return std::to_string(written) + " bytes written"; }));
  // While the writer goes on, the file stays readable and within its cap.
  const auto cap = static_cast<std::uintmax_t>(s.log_max_bytes) + 64 * 1024;
  std::uintmax_t largest = 0;
  std::error_code ec;
  EXPECT_TRUE(testing::holds_for(
      1s,
      [&] {
        largest = std::max(largest, fs::file_size(log_file, ec));
        return !ec && largest <= cap;
      },
      "the log within its cap",
      [&] { return log_file + ": " + std::to_string(largest) + " bytes; " + ec.message(); }));
  EXPECT_GT(largest, 0u);
  EXPECT_LE(largest, static_cast<std::uintmax_t>(s.log_max_bytes) + 64 * 1024)
      << "the log grew past its cap";
  EXPECT_TRUE(runtime_->remove(*id).has_value());
}

// Item: tenants on networks of their own. From inside a deployed container,
// another tenant's container, the host's loopback services (the control
// plane), the host's own address on the bridge, the metadata address and
// the outside are all unreachable; the host (the gateway) still reaches
// every container at its address.
TEST_F(PodmanRuntime, OwnNetworksIsolateTenantsAndHaveNoEgress) {
  const std::string net_a = "orsa-it-a-" + deployment_;
  const std::string net_b = "orsa-it-b-" + deployment_;
  const std::map<std::string, std::string> labels = {{kLabelManaged, "true"},
                                                     {kLabelDeployment, deployment_ + "-net"}};
  networks_ = {net_a, net_b};
  for (const auto& name : networks_) {
    ASSERT_TRUE(runtime_->create_network({.name = name, .labels = labels}).has_value()) << name;
  }
  // Idempotent; asking for other egress under the same name is refused.
  EXPECT_TRUE(runtime_->create_network({.name = net_a, .labels = labels}).has_value());
  auto other = runtime_->create_network({.name = net_a, .labels = labels, .egress = true});
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code, ErrorCode::kConflict);
  auto listed = runtime_->list_networks(labels);
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  EXPECT_EQ(listed->size(), 2u);

  // Bob's service on B.
  ContainerSpec bob = spec("orsa-it-bob-" + deployment_);
  bob.labels[kLabelDeployment] = deployment_ + "-bob";
  bob.network = net_b;
  bob.command = {"/bin/busybox", "httpd", "-f", "-p", "8000", "-h", "/www"};
  auto bob_id = run_own(bob);
  ASSERT_TRUE(bob_id.has_value()) << bob_id.error().message;
  auto bob_info = runtime_->inspect(*bob_id);
  ASSERT_TRUE(bob_info.has_value());
  ASSERT_FALSE(bob_info->ip_address.empty());
  EXPECT_EQ(bob_info->network, net_b);
  EXPECT_EQ(bob_info->host_port, 0) << "nothing is published on an own network";
  EXPECT_TRUE(eventually(
      20s, [&] { return http_get_at(bob_info->ip_address, 8000) == "hello from orsa\n"; },
      "the host reaching bob at " + bob_info->ip_address));

  // Mallory's container on A probes everything it should not reach.
  const LoopbackListener control_plane;
  ASSERT_NE(control_plane.port, 0);
  const std::string probe =
      // A TCP connect with nc (this static busybox's wget crashes resolving).
      "probe() { if /bin/busybox nc -w 3 $2 $3 </dev/null 2>/tmp/err; "
      "then echo \"probe $1 reached\"; "
      "else echo \"probe $1 blocked $(/bin/busybox head -c 80 /tmp/err)\"; fi; }; "
      "/bin/busybox httpd -p 8000 -h /www; /bin/busybox sleep 0.3; "
      "gw=$(/bin/busybox ip route | /bin/busybox sed -n 's/.* src \\([0-9.]*\\).*/\\1/p' | "
      "/bin/busybox head -n1 | /bin/busybox sed 's/[0-9]*$/1/'); "
      "echo default-route $(/bin/busybox ip route | /bin/busybox grep -c '^default'); "
      "probe self 127.0.0.1 8000; "
      "probe tenant " +
      bob_info->ip_address +
      " 8000; "
      "probe control-plane-loopback 127.0.0.1 " +
      std::to_string(control_plane.port) +
      "; "
      "probe control-plane-bridge $gw " +
      std::to_string(control_plane.port) +
      "; "
      "probe metadata 169.254.169.254 80; "
      "probe outside 192.0.2.1 80; "
      "probe default-network 10.88.0.1 " +
      std::to_string(control_plane.port) +
      "; "
      "echo done; exec /bin/busybox sleep 600";
  ContainerSpec mallory = spec("orsa-it-mallory-" + deployment_);
  mallory.labels[kLabelDeployment] = deployment_ + "-mallory";
  mallory.network = net_a;
  mallory.command = {"/bin/busybox", "sh", "-c", probe};
  auto mallory_id = run_own(mallory);
  ASSERT_TRUE(mallory_id.has_value()) << mallory_id.error().message;
  const auto lines = logs_until(*runtime_, *mallory_id, "done", 60s);
  for (const auto& l : lines) std::printf("  mallory: %s\n", l.text.c_str());
  EXPECT_EQ(value_of(lines, "default-route"), "0");
  EXPECT_EQ(value_of(lines, "probe self"), "reached") << "the probe itself does not work";
  for (const char* target : {"tenant", "control-plane-loopback", "control-plane-bridge", "metadata",
                             "outside", "default-network"}) {
    EXPECT_TRUE(value_of(lines, std::string("probe ") + target).starts_with("blocked"))
        << target << ": " << value_of(lines, std::string("probe ") + target);
  }
  // The gateway's path: the host reaches mallory's service too.
  auto mallory_info = runtime_->inspect(*mallory_id);
  ASSERT_TRUE(mallory_info.has_value());
  EXPECT_EQ(http_get_at(mallory_info->ip_address, 8000), "hello from orsa\n");

  // A restarted container keeps the host's reach (start() re-attaches).
  ASSERT_TRUE(runtime_->stop(*bob_id, 1s).has_value());
  ASSERT_TRUE(runtime_->start(*bob_id).has_value());
  bob_info = runtime_->inspect(*bob_id);
  ASSERT_TRUE(bob_info.has_value());
  EXPECT_TRUE(eventually(
      20s, [&] { return http_get_at(bob_info->ip_address, 8000) == "hello from orsa\n"; },
      "the host reaching bob after the restart"));

  // A network in use is not removed; once empty it is, and twice is fine.
  auto busy = runtime_->remove_network(net_a);
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().code, ErrorCode::kConflict) << busy.error().message;
  ASSERT_TRUE(runtime_->remove(*mallory_id).has_value());
  ASSERT_TRUE(runtime_->remove(*bob_id).has_value());
  for (const auto& name : networks_) {
    EXPECT_TRUE(runtime_->remove_network(name).has_value()) << name;
    EXPECT_TRUE(runtime_->remove_network(name).has_value()) << name;
  }
  listed = runtime_->list_networks(labels);
  ASSERT_TRUE(listed.has_value());
  EXPECT_TRUE(listed->empty());
}

// Item: a project allowed egress gets a routed network (a default route),
// still isolated from other networks; a solve job gets no network at all.
TEST_F(PodmanRuntime, EgressNetworksRouteAndNoNetworkMeansLoopbackOnly) {
  const std::string net = "orsa-it-e-" + deployment_;
  networks_.push_back(net);
  ASSERT_TRUE(
      runtime_->create_network({.name = net, .labels = {{kLabelManaged, "true"}}, .egress = true})
          .has_value());
  const std::string show =
      "echo default-route $(/bin/busybox ip route | /bin/busybox grep -c '^default'); "
      "echo links $(/bin/busybox ls /sys/class/net | /bin/busybox tr '\\n' ' '); echo done; "
      "exec /bin/busybox sleep 600";
  ContainerSpec routed = spec("orsa-it-routed-" + deployment_);
  routed.labels[kLabelDeployment] = deployment_ + "-routed";
  routed.network = net;
  routed.command = {"/bin/busybox", "sh", "-c", show};
  auto routed_id = run_own(routed);
  ASSERT_TRUE(routed_id.has_value()) << routed_id.error().message;
  EXPECT_EQ(value_of(logs_until(*runtime_, *routed_id, "done"), "default-route"), "1");

  ContainerSpec job = spec("orsa-it-job-" + deployment_);
  job.labels[kLabelDeployment] = deployment_ + "-job";
  job.network = kNoNetwork;
  job.command = {"/bin/busybox", "sh", "-c", show};
  auto job_id = run_own(job);
  ASSERT_TRUE(job_id.has_value()) << job_id.error().message;
  const auto lines = logs_until(*runtime_, *job_id, "done");
  EXPECT_EQ(value_of(lines, "default-route"), "0");
  EXPECT_EQ(value_of(lines, "links"), "lo");
  EXPECT_TRUE(runtime_->remove(*routed_id).has_value());
  EXPECT_TRUE(runtime_->remove(*job_id).has_value());
  EXPECT_TRUE(runtime_->remove_network(net).has_value());
}

}  // namespace
}  // namespace orsa::runtime
