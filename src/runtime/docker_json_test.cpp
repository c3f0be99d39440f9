#include "docker_json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace orsa::runtime::docker {
namespace {

using Json = nlohmann::json;

// Samples recorded from podman 4.3 `system service` (API v1.41) on this machine.
std::string fixture(const std::string& name) {
  std::ifstream in(std::string(ORSA_RUNTIME_TESTDATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

constexpr std::int64_t kStartedAt = 1795811513;  // 2026-11-27T20:31:53Z

ContainerSpec sample_spec() {
  ContainerSpec spec;
  spec.name = "web-1";
  spec.image = "127.0.0.1:8080/alice/knap@sha256:abc";
  spec.labels = {{kLabelManaged, "true"}, {kLabelDeployment, "dep_1"}};
  spec.env = {{"A", "b"}, {"EMPTY", ""}};
  spec.memory_bytes = 256LL * 1024 * 1024;
  spec.cpus = 0.5;
  spec.pids_limit = 100;
  spec.tmp_size_bytes = 8LL * 1024 * 1024;
  return spec;
}

TEST(CreateBody, CarriesImageLabelsEnvAndLimits) {
  const Json body = Json::parse(create_body(sample_spec()));
  EXPECT_EQ(body["Image"], "127.0.0.1:8080/alice/knap@sha256:abc");
  EXPECT_EQ(body["Labels"]["orsa.managed"], "true");
  EXPECT_EQ(body["Labels"]["orsa.deployment"], "dep_1");
  EXPECT_THAT(body["Env"].get<std::vector<std::string>>(),
              ::testing::UnorderedElementsAre("A=b", "EMPTY="));
  EXPECT_FALSE(body.contains("Cmd"));  // the image's own command
  const Json& host = body["HostConfig"];
  EXPECT_EQ(host["Memory"], 256LL * 1024 * 1024);
  EXPECT_EQ(host["MemorySwap"], 256LL * 1024 * 1024);
  EXPECT_EQ(host["NanoCpus"], 500000000);
  EXPECT_EQ(host["PidsLimit"], 100);
  EXPECT_EQ(host["ReadonlyRootfs"], true);
  EXPECT_EQ(host["Tmpfs"]["/tmp"], "rw,size=8388608,mode=1777");
  EXPECT_EQ(host["RestartPolicy"]["Name"], "no");
}

TEST(CreateBody, PublishesThePortOnLoopbackOnly) {
  const Json body = Json::parse(create_body(sample_spec()));
  EXPECT_EQ(body["ExposedPorts"], Json::parse(R"({"8000/tcp": {}})"));
  EXPECT_EQ(body["HostConfig"]["PortBindings"],
            Json::parse(R"({"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]})"));
  EXPECT_FALSE(body["HostConfig"].contains("PublishAllPorts"));
}

TEST(CreateBody, UsesAGivenHostPortAndCommand) {
  ContainerSpec spec = sample_spec();
  spec.container_port = 9000;
  spec.host_port = 18080;
  spec.read_only_root = false;
  spec.command = {"python3", "-m", "app"};
  spec.restart_policy = "on-failure";
  const Json body = Json::parse(create_body(spec));
  EXPECT_EQ(body["HostConfig"]["PortBindings"],
            Json::parse(R"({"9000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]})"));
  EXPECT_EQ(body["Cmd"], Json::parse(R"(["python3", "-m", "app"])"));
  EXPECT_EQ(body["HostConfig"]["ReadonlyRootfs"], false);
  EXPECT_EQ(body["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
}

TEST(CreateBody, HardensEveryContainer) {
  ContainerSpec spec = sample_spec();
  spec.open_files_limit = 300;
  spec.processes_limit = 50;
  spec.log_max_bytes = 65536;
  spec.user = "65534:65534";
  const Json body = Json::parse(create_body(spec, "auto"));
  const Json& host = body["HostConfig"];
  EXPECT_EQ(host["CapDrop"], Json::array({"ALL"}));
  EXPECT_FALSE(host.contains("CapAdd"));
  EXPECT_EQ(host["SecurityOpt"], Json::array({"no-new-privileges"}));
  EXPECT_EQ(host["LogConfig"]["Config"]["max-size"], "65536");
  EXPECT_EQ(host["Ulimits"], Json::parse(R"([{"Name":"nofile","Soft":300,"Hard":300},
                                              {"Name":"nproc","Soft":50,"Hard":50}])"));
  EXPECT_EQ(host["UsernsMode"], "auto");
  EXPECT_EQ(body["User"], "65534:65534");
  EXPECT_FALSE(Json::parse(create_body(sample_spec()))["HostConfig"].contains("UsernsMode"));
}

TEST(CreateBody, OwnNetworkOrNonePublishesNothing) {
  for (const char* network : {"orsa-net-dep_1", kNoNetwork}) {
    ContainerSpec spec = sample_spec();
    spec.network = network;
    const Json body = Json::parse(create_body(spec));
    EXPECT_EQ(body["HostConfig"]["NetworkMode"], network);
    EXPECT_FALSE(body["HostConfig"].contains("PortBindings")) << network;
    EXPECT_FALSE(body.contains("ExposedPorts")) << network;
  }
}

TEST(CreateNetworkBody, InternalUnlessEgressWithLabelsAndBridgeName) {
  const Json internal = Json::parse(create_network_body(
      {.name = "orsa-net-dep_1", .labels = {{kLabelManaged, "true"}}}, "orsa0123456789"));
  EXPECT_EQ(internal["Name"], "orsa-net-dep_1");
  EXPECT_EQ(internal["Internal"], true);
  EXPECT_EQ(internal["Labels"]["orsa.managed"], "true");
  EXPECT_EQ(internal["Options"]["com.docker.network.bridge.name"], "orsa0123456789");
  const Json routed = Json::parse(create_network_body({.name = "n", .egress = true}, ""));
  EXPECT_EQ(routed["Internal"], false);
  EXPECT_FALSE(routed["Options"].contains("com.docker.network.bridge.name"));
}

// Recorded from podman 4.3 (compat API): an internal network's gateway is "<nil>".
TEST(ParseNetwork, ReadsSubnetAndTreatsNilGatewayAsNone) {
  const auto n = parse_network(
      R"({"Name":"orsa-net-a","Id":"7614","Internal":true,"Labels":{"orsa.managed":"true"},
          "IPAM":{"Driver":"default","Config":[{"Subnet":"10.89.0.0/24","Gateway":"\u003cnil\u003e"}]},
          "Options":{}})");
  ASSERT_TRUE(n.has_value()) << n.error().message;
  EXPECT_EQ(n->info.name, "orsa-net-a");
  EXPECT_TRUE(n->info.internal);
  EXPECT_EQ(n->info.labels.at("orsa.managed"), "true");
  EXPECT_EQ(n->subnet, "10.89.0.0/24");
  EXPECT_EQ(n->gateway, "");
  const auto list = parse_network_list(R"([{"Name":"x","Internal":false},{"Id":"no-name"}])");
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_FALSE(list->front().internal);
  EXPECT_FALSE(parse_network("[]").has_value());
}

// podman reports "bridge" as the mode of every bridge network; the network
// is the only entry of NetworkSettings.Networks.
TEST(ParseInspect, ReadsTheOwnNetworkAndAddress) {
  const auto own = parse_inspect(
      R"({"Id":"c1","HostConfig":{"NetworkMode":"bridge"},
          "NetworkSettings":{"Networks":{"orsa-net-dep_1":{"IPAddress":"10.89.1.2"}}}})");
  ASSERT_TRUE(own.has_value());
  EXPECT_EQ(own->network, "orsa-net-dep_1");
  EXPECT_EQ(own->ip_address, "10.89.1.2");
  const auto shared = parse_inspect(
      R"({"Id":"c2","HostConfig":{"NetworkMode":"bridge"},
          "NetworkSettings":{"Networks":{"podman":{"IPAddress":"10.88.0.5"}}}})");
  ASSERT_TRUE(shared.has_value());
  EXPECT_EQ(shared->network, "");
  EXPECT_EQ(shared->ip_address, "");
  const auto dockerd = parse_inspect(
      R"({"Id":"c3","HostConfig":{"NetworkMode":"orsa-net-b"},
          "NetworkSettings":{"Networks":{"orsa-net-b":{"IPAddress":"172.19.0.2"}}}})");
  ASSERT_TRUE(dockerd.has_value());
  EXPECT_EQ(dockerd->network, "orsa-net-b");
  EXPECT_EQ(dockerd->ip_address, "172.19.0.2");
}

TEST(CreateBody, EscapesHostileValues) {
  ContainerSpec spec = sample_spec();
  spec.labels["x"] = "\"},\"Privileged\":true,\"a\":{\"";
  const Json body = Json::parse(create_body(spec));
  EXPECT_EQ(body["Labels"]["x"], "\"},\"Privileged\":true,\"a\":{\"");
  EXPECT_FALSE(body["HostConfig"].contains("Privileged"));
  EXPECT_FALSE(body.contains("Privileged"));
}

TEST(ParseInspect, ReadsARunningPodmanContainer) {
  const auto info = parse_inspect(fixture("inspect_running.json"));
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->id, "b8f5c06f6ef3176a935159322e53f9929e072f3b536ddc82505e27ffc4b62c40");
  EXPECT_EQ(info->name, "web-1");
  EXPECT_EQ(info->image, "localhost/bb:1");
  EXPECT_EQ(info->state, ContainerState::kRunning);
  EXPECT_EQ(info->labels.at("orsa.project"), "alice/knapsack");
  EXPECT_EQ(info->exit_code, 0);
  EXPECT_FALSE(info->oom_killed);
  EXPECT_EQ(info->started_at, kStartedAt);
  EXPECT_FALSE(info->finished_at.has_value());  // "0001-01-01T00:00:00Z"
  EXPECT_EQ(info->host_ip, "127.0.0.1");
  EXPECT_EQ(info->host_port, 33905);
}

TEST(ParseInspect, ReadsAnExitedPodmanContainer) {
  const auto info = parse_inspect(fixture("inspect_exited.json"));
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->state, ContainerState::kExited);
  EXPECT_EQ(info->exit_code, 137);
  EXPECT_EQ(info->started_at, kStartedAt);
  EXPECT_EQ(info->finished_at, kStartedAt);
}

TEST(ParseInspect, ReadsOomKilledAndMissingFields) {
  const auto info = parse_inspect(
      R"({"Id":"abc","State":{"Status":"exited","ExitCode":137,"OOMKilled":true},
          "NetworkSettings":{"Ports":{"8000/tcp":null}}})");
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->oom_killed);
  EXPECT_EQ(info->host_port, 0);
  EXPECT_TRUE(info->labels.empty());
}

TEST(ParseInspect, RejectsMalformedBodies) {
  EXPECT_FALSE(parse_inspect("not json").has_value());
  EXPECT_FALSE(parse_inspect("[]").has_value());
  EXPECT_FALSE(parse_inspect("{}").has_value());
}

TEST(ParseList, ReadsPodmanSummaries) {
  const auto running = parse_list(fixture("list.json"));
  ASSERT_TRUE(running.has_value()) << running.error().message;
  ASSERT_EQ(running->size(), 1u);
  const ContainerInfo& c = running->front();
  EXPECT_EQ(c.id, "b8f5c06f6ef3176a935159322e53f9929e072f3b536ddc82505e27ffc4b62c40");
  EXPECT_EQ(c.name, "web-1");
  EXPECT_EQ(c.state, ContainerState::kRunning);
  EXPECT_EQ(c.labels.at("orsa.deployment"), "web-1");
  EXPECT_EQ(c.host_ip, "127.0.0.1");
  EXPECT_EQ(c.host_port, 33905);
  const auto exited = parse_list(fixture("list_exited.json"));
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(exited->front().state, ContainerState::kExited);
  EXPECT_TRUE(parse_list("[]")->empty());
  EXPECT_FALSE(parse_list("{}").has_value());
}

TEST(ParseEvent, ReadsPodmanEventsWithLabelsOnly) {
  std::vector<Event> events;
  for (const auto& line : lines_of(fixture("events.jsonl"))) {
    if (auto e = parse_event(line)) events.push_back(*e);
  }
  ASSERT_GE(events.size(), 4u);
  std::vector<std::string> actions;
  for (const auto& e : events) actions.push_back(e.action);
  EXPECT_THAT(actions, ::testing::IsSupersetOf({"create", "start", "die"}));
  const auto die =
      std::find_if(events.begin(), events.end(), [](const Event& e) { return e.action == "die"; });
  EXPECT_EQ(die->container_id, "b8f5c06f6ef3176a935159322e53f9929e072f3b536ddc82505e27ffc4b62c40");
  EXPECT_EQ(die->labels, (std::map<std::string, std::string>{{"orsa.deployment", "web-1"},
                                                             {"orsa.managed", "true"},
                                                             {"orsa.owner", "usr_1"},
                                                             {"orsa.project", "alice/knapsack"}}));
}

TEST(ParseEvent, ReadsDockerdEventsAndSkipsOthers) {
  const auto e = parse_event(
      R"({"status":"die","id":"c1","from":"img","Type":"container","Action":"die",
          "Actor":{"ID":"c1","Attributes":{"exitCode":"1","image":"img","name":"n","k":"v"}},
          "scope":"local","time":1,"timeNano":1})");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->container_id, "c1");
  EXPECT_EQ(e->labels, (std::map<std::string, std::string>{{"k", "v"}}));
  EXPECT_FALSE(parse_event(R"({"Type":"image","Action":"pull","Actor":{"ID":"x"}})"));
  EXPECT_FALSE(parse_event("garbage"));
  EXPECT_FALSE(parse_event(R"({"Type":"container"})"));
}

TEST(ProgressError, FindsErrorLines) {
  const auto error = progress_error(lines_of(fixture("pull_error.jsonl")).front());
  ASSERT_TRUE(error.has_value());
  EXPECT_THAT(*error, ::testing::HasSubstr("connection refused"));
  EXPECT_FALSE(progress_error(R"({"status":"Pulling fs layer","id":"abc"})"));
  EXPECT_EQ(progress_error(R"({"errorDetail":{"message":"denied"}})"), "denied");
}

TEST(ErrorMessage, PrefersTheMessageField) {
  EXPECT_EQ(error_message(fixture("error_not_found.json")),
            "no container with name or ID \"nope\" found: no such container");
  EXPECT_EQ(error_message("plain text\n"), "plain text");
}

TEST(LabelFilters, ListsLabelsAndEventType) {
  EXPECT_EQ(label_filters({{"a", "1"}, {"b", "2"}}, false), R"({"label":["a=1","b=2"]})");
  EXPECT_EQ(label_filters({{"a", "1"}}, true), R"({"label":["a=1"],"type":["container"]})");
  EXPECT_EQ(label_filters({}, false), "{}");
}

TEST(RegistryAuth, IsPaddedBase64UrlOfTheCredentials) {
  const std::string header = registry_auth({"127.0.0.1:5000", "alice", "p?>s"});
  EXPECT_EQ(header.size() % 4, 0u);
  EXPECT_EQ(header.find_first_of("+/"), std::string::npos);
  // Decode back (URL alphabet) and compare the JSON.
  std::string decoded;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : header) {
    if (c == '=') break;
    const auto pos =
        std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
            .find(c);
    ASSERT_NE(pos, std::string_view::npos);
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  EXPECT_EQ(
      Json::parse(decoded),
      Json::parse(R"({"username":"alice","password":"p?>s","serveraddress":"127.0.0.1:5000"})"));
}

TEST(ParseState, MapsDockerAndPodmanStatuses) {
  EXPECT_EQ(parse_state("running"), ContainerState::kRunning);
  EXPECT_EQ(parse_state("created"), ContainerState::kCreated);
  EXPECT_EQ(parse_state("configured"), ContainerState::kCreated);
  EXPECT_EQ(parse_state("exited"), ContainerState::kExited);
  EXPECT_EQ(parse_state("stopped"), ContainerState::kExited);
  EXPECT_EQ(parse_state("paused"), ContainerState::kPaused);
  EXPECT_EQ(parse_state("restarting"), ContainerState::kRestarting);
  EXPECT_EQ(parse_state("dead"), ContainerState::kDead);
  EXPECT_EQ(parse_state("weird"), ContainerState::kUnknown);
}

}  // namespace
}  // namespace orsa::runtime::docker
