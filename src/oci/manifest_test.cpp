#include "oci/manifest.hpp"

#include <gtest/gtest.h>

#include <string>

#include "oci/media_types.hpp"

namespace orsa::oci {
namespace {

// Shaped like `docker manifest inspect -v` / registry output for a Docker Hub
// image: pretty-printed, Docker schema2 media types throughout.
constexpr const char* kDockerManifestJson = R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1472,
      "digest": "sha256:c1aabb73d2339c5ebaa3681de2e9d9c18d57485045a4e311d9f8004bec208d67"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 3408729,
         "digest": "sha256:31e352740f534f9ad170f75378a84fe453d6156e40700b882d737a8f4a6988a3"
      },
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 512,
         "digest": "sha256:4ca545ee6d5db5c1170386eeb39b2ffe3bd46e5d4a73a9acbebc805f19607eb3"
      }
   ]
})";

// Shaped like a config written by `docker build` (fields we ignore included).
constexpr const char* kDockerConfigJson = R"({
  "architecture": "amd64",
  "config": {
    "Hostname": "",
    "Domainname": "",
    "User": "app",
    "AttachStdin": false,
    "Tty": false,
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONUNBUFFERED=1"],
    "Cmd": ["gunicorn", "-b", "0.0.0.0:8000", "app:app"],
    "ArgsEscaped": true,
    "Image": "sha256:8a8b2c5f4f0e8d5c6e1f6d8c9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b",
    "Volumes": null,
    "WorkingDir": "/app",
    "Entrypoint": null,
    "OnBuild": null,
    "Labels": {"org.opencontainers.image.revision": "abc123", "orsa.project": "alice/knapsack"},
    "ExposedPorts": {"8000/tcp": {}, "443/tcp": {}}
  },
  "container": "4d5f0a2b6c1e",
  "container_config": {"Hostname": "4d5f0a2b6c1e", "Cmd": ["/bin/sh", "-c", "#(nop) CMD"]},
  "created": "2024-03-01T12:00:00.123456789Z",
  "docker_version": "24.0.7",
  "history": [
    {"created": "2024-02-14T18:50:10Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
    {"created": "2024-02-14T18:50:11Z", "created_by": "/bin/sh -c #(nop)  CMD [\"/bin/sh\"]", "empty_layer": true},
    {"created": "2024-03-01T12:00:00Z", "created_by": "COPY . /app # buildkit", "comment": "buildkit.dockerfile.v0"}
  ],
  "os": "linux",
  "rootfs": {
    "type": "layers",
    "diff_ids": [
      "sha256:d4fc045c9e3a848011de66f34b81f052d4f2c15a17bb196d637e526349601820",
      "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"
    ]
  }
})";

// Shaped like a Docker Hub multi-arch manifest list.
constexpr const char* kDockerListJson = R"({
  "manifests": [
    {"digest": "sha256:6457d53fb065d6f250e1504b9bc42d5b6c65941d57532c072d929dd0628977d0",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "amd64", "os": "linux"}, "size": 528},
    {"digest": "sha256:b229a85166aadbde58e73e03c5e2b9737fb4642ffb2d98ba453adc90d144c1d8",
     "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
     "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}, "size": 528}
  ],
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "schemaVersion": 2
})";

Digest digest_of(std::string_view s) {
  return Digest::of(s);
}

ImageManifest sample_manifest() {
  ImageManifest m;
  m.config = {.media_type = std::string(kOciConfig), .digest = digest_of("config"), .size = 42};
  m.layers.push_back(
      {.media_type = std::string(kOciLayerGzip), .digest = digest_of("base"), .size = 1000});
  m.layers.push_back({.media_type = std::string(kOciLayerGzip),
                      .digest = digest_of("app"),
                      .size = 7,
                      .annotations = {{"org.example.b", "2"}, {"org.example.a", "1"}}});
  m.annotations = {{"org.opencontainers.image.revision", "abc"}};
  return m;
}

ImageConfig sample_config() {
  ImageConfig c;
  c.created = "2024-03-01T12:00:00Z";
  c.user = "app";
  c.env = {"PATH=/usr/bin:/bin", "ORSA_COMMIT=abc"};
  c.entrypoint = {"/usr/bin/tini", "--"};
  c.cmd = {"gunicorn", "app:app"};
  c.working_dir = "/app";
  c.exposed_ports = {"8000/tcp"};
  c.labels = {{"orsa.project", "alice/knapsack"}, {"orsa.commit", "abc"}};
  c.diff_ids = {digest_of("base tar"), digest_of("app tar")};
  c.history = {{.created = "2024-01-01T00:00:00Z", .created_by = "mmdebstrap"},
               {.created = "2024-03-01T12:00:00Z",
                .created_by = "orsa-builder",
                .comment = "app",
                .empty_layer = false},
               {.created_by = "CMD", .empty_layer = true}};
  return c;
}

TEST(Manifest, SerializeIsCanonical) {
  const std::string text = serialize(sample_manifest());
  const std::string expected =
      std::string(
          R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)") +
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      digest_of("config").str() + R"(","size":42},"layers":[{"mediaType":")" +
      std::string(kOciLayerGzip) + R"(","digest":")" + digest_of("base").str() +
      R"(","size":1000},{"mediaType":")" + std::string(kOciLayerGzip) + R"(","digest":")" +
      digest_of("app").str() +
      R"(","size":7,"annotations":{"org.example.a":"1","org.example.b":"2"}}],)" +
      R"("annotations":{"org.opencontainers.image.revision":"abc"}})";
  EXPECT_EQ(text, expected);
}

TEST(Manifest, RoundTripIsByteIdentical) {
  const std::string once = serialize(sample_manifest());
  auto parsed = parse_manifest(once);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(serialize(*parsed), once);
  EXPECT_EQ(parsed->layers.at(1).annotations.at("org.example.a"), "1");
}

TEST(Manifest, OmitsEmptyAnnotations) {
  ImageManifest m = sample_manifest();
  m.annotations.clear();
  m.layers.at(1).annotations.clear();
  EXPECT_EQ(serialize(m).find("annotations"), std::string::npos);
}

TEST(Manifest, ArtifactTypeAndSubjectRoundTrip) {
  ImageManifest m = sample_manifest();
  m.artifact_type = "application/vnd.example.signature";
  m.subject = Descriptor{.media_type = std::string(kOciManifest),
                         .digest = digest_of("subject"),
                         .size = 9,
                         .artifact_type = "application/vnd.example.inner"};
  const std::string once = serialize(m);
  auto parsed = parse_manifest(once);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->artifact_type, "application/vnd.example.signature");
  ASSERT_TRUE(parsed->subject.has_value());
  EXPECT_EQ(parsed->subject->digest, digest_of("subject"));
  EXPECT_EQ(parsed->subject->artifact_type, "application/vnd.example.inner");
  EXPECT_EQ(serialize(*parsed), once);
}

TEST(Manifest, RejectsAMalformedSubject) {
  std::string text = serialize(sample_manifest());
  text.insert(text.size() - 1, R"(,"subject":{"mediaType":"x","size":1})");
  auto parsed = parse_manifest(text);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("subject"), std::string::npos) << parsed.error().message;
}

TEST(Manifest, ParsesDockerSchema2) {
  auto m = parse_manifest(kDockerManifestJson);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->media_type, kDockerManifest);
  EXPECT_EQ(m->config.media_type, kDockerConfig);
  EXPECT_EQ(m->config.size, 1472);
  EXPECT_EQ(m->config.digest.str(),
            "sha256:c1aabb73d2339c5ebaa3681de2e9d9c18d57485045a4e311d9f8004bec208d67");
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[0].media_type, kDockerLayerGzip);
  EXPECT_EQ(m->layers[0].size, 3408729);
  // Our re-serialisation keeps every field and is itself stable.
  const std::string once = serialize(*m);
  auto again = parse_manifest(once);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(serialize(*again), once);
  EXPECT_EQ(again->media_type, kDockerManifest);
  EXPECT_EQ(again->layers[1].digest, m->layers[1].digest);
}

TEST(Manifest, MissingMediaTypeMeansOci) {
  auto m = parse_manifest(R"({"schemaVersion":2,"config":{"mediaType":"x","digest":")" +
                          digest_of("c").str() + R"(","size":1},"layers":[]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->media_type, kOciManifest);
  EXPECT_TRUE(m->layers.empty());
}

struct BadCase {
  std::string json;
  std::string needle;  // must appear in the error message
};

std::string descriptor(std::string_view fields) {
  return std::string(R"({"mediaType":"application/vnd.oci.image.config.v1+json",)") +
         std::string(fields) + "}";
}

TEST(Manifest, RejectsBadDocumentsNamingTheField) {
  const std::string good_digest = R"("digest":")" + digest_of("x").str() + R"(")";
  const std::string config = R"("config":)" + descriptor(good_digest + R"(,"size":1)");
  const BadCase cases[] = {
      {"not json", "not valid JSON"},
      {"[]", "must be a JSON object"},
      {R"({"config":{},"layers":[]})", "schemaVersion"},
      {R"({"schemaVersion":1,"layers":[]})", "schemaVersion"},
      {R"({"schemaVersion":"2"})", "schemaVersion"},
      {R"({"schemaVersion":2,"layers":[]})", "missing field 'config'"},
      {R"({"schemaVersion":2,)" + config + "}", "missing field 'layers'"},
      {R"({"schemaVersion":2,)" + config + R"(,"layers":{}})", "'layers' must be an array"},
      {R"({"schemaVersion":2,)" + config + R"(,"layers":[1]})", "layers[0]"},
      {R"({"schemaVersion":2,"mediaType":5,)" + config + R"(,"layers":[]})", "mediaType"},
      {R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)" + config +
           R"(,"layers":[]})",
       "mediaType"},
      {R"({"schemaVersion":2,"config":)" + descriptor(R"("size":1)") + R"(,"layers":[]})",
       "config.digest"},
      {R"({"schemaVersion":2,"config":)" + descriptor(good_digest) + R"(,"layers":[]})",
       "config.size"},
      {R"({"schemaVersion":2,"config":)" + descriptor(good_digest + R"(,"size":-1)") +
           R"(,"layers":[]})",
       "config.size"},
      {R"({"schemaVersion":2,"config":)" + descriptor(good_digest + R"(,"size":1.5)") +
           R"(,"layers":[]})",
       "config.size"},
      {R"({"schemaVersion":2,"config":)" + descriptor(good_digest + R"(,"size":"1")") +
           R"(,"layers":[]})",
       "config.size"},
      {R"({"schemaVersion":2,"config":)" +
           descriptor(good_digest + R"(,"size":18446744073709551615)") + R"(,"layers":[]})",
       "config.size"},
      {R"({"schemaVersion":2,"config":)" + descriptor(R"("digest":"sha256:abc","size":1)") +
           R"(,"layers":[]})",
       "config.digest"},
      {R"({"schemaVersion":2,"config":)" +
           descriptor(R"("digest":"sha512:)" + std::string(128, 'a') + R"(","size":1)") +
           R"(,"layers":[]})",
       "unsupported digest algorithm"},
      {R"({"schemaVersion":2,"config":{)" + good_digest + R"(,"size":1},"layers":[]})",
       "config.mediaType"},
      {R"({"schemaVersion":2,)" + config + R"(,"layers":[],"annotations":{"a":1}})",
       "annotations.a"},
      {R"({"schemaVersion":2,)" + config + R"(,"layers":[],"annotations":[]})", "annotations"},
  };
  for (const BadCase& c : cases) {
    auto m = parse_manifest(c.json);
    ASSERT_FALSE(m.has_value()) << "accepted: " << c.json;
    EXPECT_EQ(m.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(m.error().message.find(c.needle), std::string::npos)
        << "message '" << m.error().message << "' lacks '" << c.needle << "' for " << c.json;
  }
}

TEST(Index, ParsesDockerManifestList) {
  auto index = parse_index(kDockerListJson);
  ASSERT_TRUE(index.has_value()) << index.error().message;
  EXPECT_EQ(index->media_type, kDockerManifestList);
  ASSERT_EQ(index->manifests.size(), 2u);
  ASSERT_TRUE(index->manifests[1].platform.has_value());
  EXPECT_EQ(index->manifests[1].platform->architecture, "arm64");
  EXPECT_EQ(index->manifests[1].platform->os, "linux");
  EXPECT_EQ(index->manifests[0].size, 528);
}

TEST(Index, SerializeIsCanonicalAndRoundTrips) {
  ImageIndex index;
  index.manifests.push_back({.media_type = std::string(kOciManifest),
                             .digest = digest_of("m"),
                             .size = 3,
                             .annotations = {{"org.opencontainers.image.ref.name", "v1"}},
                             .platform = Platform{"amd64", "linux"}});
  const std::string text = serialize(index);
  EXPECT_EQ(text, R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                  R"("manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                  R"("digest":")" +
                      digest_of("m").str() +
                      R"(","size":3,"platform":{"architecture":"amd64","os":"linux"},)"
                      R"("annotations":{"org.opencontainers.image.ref.name":"v1"}}]})");
  auto parsed = parse_index(text);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(serialize(*parsed), text);
}

TEST(Index, RejectsBadDocuments) {
  const BadCase cases[] = {
      {R"({"schemaVersion":2})", "missing field 'manifests'"},
      {R"({"schemaVersion":3,"manifests":[]})", "schemaVersion"},
      {R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
       R"("manifests":[]})",
       "mediaType"},
      {R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"sha256:00","size":1}]})",
       "manifests[0].digest"},
      {R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":")" + digest_of("a").str() +
           R"(","size":1,"platform":{"os":"linux"}}]})",
       "manifests[0].platform.architecture"},
  };
  for (const BadCase& c : cases) {
    auto index = parse_index(c.json);
    ASSERT_FALSE(index.has_value()) << "accepted: " << c.json;
    EXPECT_NE(index.error().message.find(c.needle), std::string::npos)
        << "message '" << index.error().message << "' lacks '" << c.needle << "'";
  }
}

TEST(Config, SerializeIsCanonical) {
  ImageConfig c;
  c.created = "1970-01-01T00:00:00Z";
  c.cmd = {"sh"};
  c.exposed_ports = {"8000/tcp"};
  c.diff_ids = {digest_of("t")};
  c.history = {{.created_by = "x", .empty_layer = true}};
  EXPECT_EQ(serialize(c),
            R"({"created":"1970-01-01T00:00:00Z","architecture":"amd64","os":"linux",)"
            R"("config":{"Cmd":["sh"],"ExposedPorts":{"8000/tcp":{}}},)"
            R"("rootfs":{"type":"layers","diff_ids":[")" +
                digest_of("t").str() + R"("]},"history":[{"created_by":"x","empty_layer":true}]})");
}

TEST(Config, KeyOrderFollowsTheContract) {
  const std::string text = serialize(sample_config());
  std::size_t last = 0;
  for (const char* key :
       {"\"created\"", "\"architecture\"", "\"os\"", "\"config\"", "\"User\"", "\"Env\"",
        "\"Entrypoint\"", "\"Cmd\"", "\"WorkingDir\"", "\"ExposedPorts\"", "\"Labels\"",
        "\"rootfs\"", "\"diff_ids\"", "\"history\""}) {
    const std::size_t at = text.find(key);
    ASSERT_NE(at, std::string::npos) << key;
    EXPECT_GT(at, last) << key << " out of order in " << text;
    last = at;
  }
  // No insignificant whitespace (the sample's strings contain no spaces).
  EXPECT_EQ(text.find(' '), std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), std::string::npos);
}

TEST(Config, MinimalConfigOmitsEmptyFields) {
  ImageConfig c;
  EXPECT_EQ(serialize(c),
            R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})");
}

TEST(Config, RoundTripIsByteIdentical) {
  const std::string once = serialize(sample_config());
  auto parsed = parse_config(once);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(serialize(*parsed), once);
  EXPECT_EQ(parsed->history.size(), 3u);
  EXPECT_TRUE(parsed->history[2].empty_layer);
  EXPECT_EQ(parsed->history[1].comment, "app");
}

TEST(Config, SerializeSortsAndDeduplicatesPorts) {
  ImageConfig a;
  a.exposed_ports = {"8000/tcp", "443/tcp"};
  ImageConfig b;
  b.exposed_ports = {"443/tcp", "8000/tcp", "443/tcp"};
  EXPECT_EQ(serialize(a), serialize(b));
}

TEST(Config, ParsesDockerConfig) {
  auto c = parse_config(kDockerConfigJson);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->created, "2024-03-01T12:00:00.123456789Z");
  EXPECT_EQ(c->architecture, "amd64");
  EXPECT_EQ(c->os, "linux");
  EXPECT_EQ(c->user, "app");
  ASSERT_EQ(c->env.size(), 2u);
  EXPECT_EQ(c->env[1], "PYTHONUNBUFFERED=1");
  EXPECT_TRUE(c->entrypoint.empty());  // null in the document
  EXPECT_EQ(c->cmd, (std::vector<std::string>{"gunicorn", "-b", "0.0.0.0:8000", "app:app"}));
  EXPECT_EQ(c->working_dir, "/app");
  EXPECT_EQ(c->exposed_ports, (std::vector<std::string>{"443/tcp", "8000/tcp"}));
  EXPECT_EQ(c->labels.at("orsa.project"), "alice/knapsack");
  ASSERT_EQ(c->diff_ids.size(), 2u);
  EXPECT_EQ(c->diff_ids[1].str(),
            "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
  ASSERT_EQ(c->history.size(), 3u);
  EXPECT_TRUE(c->history[1].empty_layer);
  EXPECT_FALSE(c->history[2].empty_layer);
  EXPECT_EQ(c->history[2].comment, "buildkit.dockerfile.v0");

  // The fields we use survive our serialisation.
  const std::string once = serialize(*c);
  auto again = parse_config(once);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(serialize(*again), once);
  EXPECT_EQ(again->cmd, c->cmd);
  EXPECT_EQ(again->env, c->env);
  EXPECT_EQ(again->labels, c->labels);
  EXPECT_EQ(again->exposed_ports, c->exposed_ports);
  EXPECT_EQ(again->diff_ids, c->diff_ids);
  EXPECT_EQ(again->working_dir, c->working_dir);
  EXPECT_EQ(again->user, c->user);
  EXPECT_EQ(again->created, c->created);
}

TEST(Config, RejectsBadDocumentsNamingTheField) {
  const std::string rootfs = R"("rootfs":{"type":"layers","diff_ids":[]})";
  const BadCase cases[] = {
      {"{", "not valid JSON"},
      {R"({"os":"linux",)" + rootfs + "}", "missing field 'architecture'"},
      {R"({"architecture":"amd64",)" + rootfs + "}", "missing field 'os'"},
      {R"({"architecture":1,"os":"linux",)" + rootfs + "}", "'architecture' must be a string"},
      {R"({"architecture":"amd64","os":"linux"})", "missing field 'rootfs'"},
      {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"x","diff_ids":[]}})",
       "rootfs.type"},
      {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}})", "rootfs.diff_ids"},
      {R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["x"]}})",
       "rootfs.diff_ids[0]"},
      {R"({"architecture":"amd64","os":"linux","config":{"Cmd":"sh"},)" + rootfs + "}",
       "config.Cmd"},
      {R"({"architecture":"amd64","os":"linux","config":{"Env":["A=1",2]},)" + rootfs + "}",
       "config.Env[1]"},
      {R"({"architecture":"amd64","os":"linux","config":{"Labels":{"a":true}},)" + rootfs + "}",
       "config.Labels.a"},
      {R"({"architecture":"amd64","os":"linux","config":{"ExposedPorts":["80"]},)" + rootfs + "}",
       "config.ExposedPorts"},
      {R"({"architecture":"amd64","os":"linux","config":[],)" + rootfs + "}", "'config'"},
      {R"({"architecture":"amd64","os":"linux","created":5,)" + rootfs + "}", "'created'"},
      {R"({"architecture":"amd64","os":"linux","history":[{"empty_layer":"yes"}],)" + rootfs + "}",
       "history[0].empty_layer"},
      {R"({"architecture":"amd64","os":"linux","history":{},)" + rootfs + "}", "'history'"},
  };
  for (const BadCase& c : cases) {
    auto config = parse_config(c.json);
    ASSERT_FALSE(config.has_value()) << "accepted: " << c.json;
    EXPECT_EQ(config.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(config.error().message.find(c.needle), std::string::npos)
        << "message '" << config.error().message << "' lacks '" << c.needle << "'";
  }
}

TEST(Config, InvalidUtf8IsReplacedNotThrown) {
  ImageConfig c;
  c.user = "bad\xff";
  const std::string text = serialize(c);
  EXPECT_NE(text.find("\"User\":\"bad\xef\xbf\xbd\""), std::string::npos) << text;
  EXPECT_TRUE(parse_config(text).has_value());
}

TEST(ManifestKind, ByMediaTypeField) {
  EXPECT_EQ(manifest_kind(kDockerManifestJson), ManifestKind::kImageManifest);
  EXPECT_EQ(manifest_kind(kDockerListJson), ManifestKind::kImageIndex);
  EXPECT_EQ(manifest_kind(serialize(ImageIndex{})), ManifestKind::kImageIndex);
  // The field wins over a contradicting Content-Type.
  EXPECT_EQ(manifest_kind(kDockerListJson, kOciManifest), ManifestKind::kImageIndex);
}

TEST(ManifestKind, ByContentTypeThenShape) {
  const std::string bare = R"({"schemaVersion":2,"manifests":[],"layers":[]})";
  EXPECT_EQ(manifest_kind(bare, std::string(kOciManifest) + "; charset=utf-8"),
            ManifestKind::kImageManifest);
  EXPECT_EQ(manifest_kind(bare, kDockerManifestList), ManifestKind::kImageIndex);
  EXPECT_EQ(manifest_kind(bare, "application/json"), ManifestKind::kImageIndex);
  EXPECT_EQ(manifest_kind(R"({"schemaVersion":2,"layers":[]})"), ManifestKind::kImageManifest);
  EXPECT_EQ(manifest_kind(R"({"schemaVersion":2,"config":{}})"), ManifestKind::kImageManifest);
}

TEST(ManifestKind, RejectsUnknown) {
  for (const char* json :
       {R"({"schemaVersion":2})", "[]", "nope",
        R"({"mediaType":"application/vnd.docker.distribution.manifest.v1+json"})",
        R"({"mediaType":7,"layers":[]})"}) {
    auto kind = manifest_kind(json);
    EXPECT_FALSE(kind.has_value()) << json;
    if (!kind) {
      EXPECT_EQ(kind.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace orsa::oci
