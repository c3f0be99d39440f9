#include "builder/platform_image.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/files.hpp"
#include "core/json.hpp"
#include "core/temp_dir.hpp"

namespace orsa::builder {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRecipe = R"(
repository = "orsa/orsa-test"
packages = ["libc6"]
remove = ["/etc/random-key"]
user = "orsa"
uid = 10001
home = "/var/lib/orsa"
entrypoint = ["/usr/bin/orsa-test"]
exposed_ports = ["8080/tcp"]
[labels]
"org.opencontainers.image.title" = "test"
)";

void write(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

Result<PlatformRecipe> load(std::string_view text) {
  TempDir dir;
  write(dir.path() / "r.toml", text);
  return load_platform_recipe(dir.path() / "r.toml");
}

TEST(PlatformRecipe, ReadsEveryField) {
  auto recipe = load(kRecipe);
  ASSERT_TRUE(recipe.has_value()) << recipe.error().message;
  EXPECT_EQ(recipe->repository, "orsa/orsa-test");
  EXPECT_EQ(recipe->packages, std::vector<std::string>{"libc6"});
  EXPECT_EQ(recipe->uid, 10001);
  EXPECT_EQ(recipe->home, "/var/lib/orsa");
  EXPECT_TRUE(recipe->security_updates);
  EXPECT_EQ(recipe->labels.at("org.opencontainers.image.title"), "test");
}

TEST(PlatformRecipe, RejectsWhatItCannotBuildNamingTheField) {
  const std::pair<std::string, std::string> cases[] = {
      {"repository = \"Orsa\"\ncmd = [\"x\"]", "'repository'"},
      {"repository = \"orsa/x\"\ncmd = [\"x\"]\nport = 1", "unknown key 'port'"},
      {"repository = \"orsa/x\"\ncmd = [\"x\"]\npackages = [\"a b\"]", "'a b'"},
      {"repository = \"orsa/x\"\ncmd = [\"x\"]\nuser = \"orsa\"\nuid = 0", "'uid'"},
      {"repository = \"orsa/x\"", "'entrypoint' or a 'cmd'"},
      {"repository = \"orsa/x\"\ncmd = \"x\"", "'cmd' must be an array"},
      {"repository = \"orsa/x\"\ncmd = [\"x\"]\n[labels]\na = 1", "'labels.a' must be a string"},
      {"repository = ", "image recipe:"},
      {"repository = \"orsa/x\"\ncmd = [\"x\"]\nhome = \"/a/../etc\"", "'home'"},
      {"repository = \"orsa/x\"\ncmd = [\"x\"]\nremove = [\"/\"]", "'remove' holds '/'"},
      {"repository = \"orsa/x\"\ncmd = [\"x\"]\nremove = [\"etc/x\"]", "'remove' holds"},
  };
  for (const auto& [text, expected] : cases) {
    auto recipe = load(text);
    ASSERT_FALSE(recipe.has_value()) << text;
    EXPECT_NE(recipe.error().message.find(expected), std::string::npos)
        << text << " → " << recipe.error().message;
  }
}

// mmdebstrap is the unit boundary here (the compose test builds real images):
// a stand-in on PATH writes a tiny root filesystem.
class PlatformImageBuild : public ::testing::Test {
 protected:
  void SetUp() override {
    write(tools_.path() / "mmdebstrap", R"(#!/bin/sh
# mmdebstrap [OPTIONS] SUITE TARGET [MIRROR...]
while [ "${1#-}" != "$1" ]; do shift; done
target=$2
mkdir -p "$target/etc" "$target/usr/bin"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$target/etc/passwd"
printf 'root:x:0:\n' > "$target/etc/group"
echo "$SOURCE_DATE_EPOCH" > "$target/etc/epoch"
head -c 16 /dev/urandom > "$target/etc/random-key"
)");
    fs::permissions(tools_.path() / "mmdebstrap", fs::perms(0755));
    old_path_ = std::getenv("PATH");
    setenv("PATH", (tools_.path().string() + ":" + old_path_).c_str(), 1);
    write(files_.path() / "usr/bin/orsa-test", "#!/bin/sh\n");
    auto recipe = load(kRecipe);
    ASSERT_TRUE(recipe.has_value());
    recipe_ = *recipe;
  }
  void TearDown() override { setenv("PATH", old_path_.c_str(), 1); }

  Result<PlatformBuildResult> build(const fs::path& out) {
    const PlatformBuildOptions options{files_.path(),
                                       "1.2.3",
                                       {{"org.opencontainers.image.revision", "abc"}},
                                       "http://mirror.invalid/debian",
                                       1700000000,
                                       work_.path(),
                                       out};
    return build_platform_image(recipe_, options, [](std::string_view) {});
  }

  fs::path extract(const fs::path& archive) {
    const fs::path dir = work_.path() / ("x-" + archive.filename().string());
    fs::create_directories(dir);
    const std::string command = "tar -xf '" + archive.string() + "' -C '" + dir.string() + "'";
    EXPECT_EQ(std::system(command.c_str()), 0);
    return dir;
  }

  TempDir tools_, files_, work_, out_;
  std::string old_path_;
  PlatformRecipe recipe_;
};

TEST_F(PlatformImageBuild, TheSameInputsGiveTheSameArchive) {
  auto a = build(out_.path() / "a.tar");
  auto b = build(out_.path() / "b.tar");
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(a->manifest_digest, b->manifest_digest);
  EXPECT_TRUE(read_file(out_.path() / "a.tar").value() == read_file(out_.path() / "b.tar").value());
  EXPECT_EQ(a->reference, "localhost/orsa/orsa-test:1.2.3");
}

TEST_F(PlatformImageBuild, TheArchiveNamesTheImageForPodmanAndDocker) {
  auto built = build(out_.path() / "a.tar");
  ASSERT_TRUE(built.has_value()) << built.error().message;
  const fs::path dir = extract(out_.path() / "a.tar");
  const Json index = Json::parse(read_file(dir / "index.json").value());
  const Json& named = index["manifests"][0];
  EXPECT_EQ(named["digest"], built->manifest_digest);
  EXPECT_EQ(named["annotations"]["org.opencontainers.image.ref.name"], built->reference);
  const Json docker = Json::parse(read_file(dir / "manifest.json").value());
  EXPECT_EQ(docker[0]["RepoTags"][0], built->reference);
  ASSERT_EQ(docker[0]["Layers"].size(), 2u);
  for (const auto& layer : docker[0]["Layers"])
    EXPECT_TRUE(fs::exists(dir / layer.get<std::string>()));

  const std::string manifest_hex = built->manifest_digest.substr(7);
  const Json manifest = Json::parse(read_file(dir / "blobs/sha256" / manifest_hex).value());
  const Json config = Json::parse(read_file(dir / docker[0]["Config"].get<std::string>()).value());
  EXPECT_EQ(manifest["config"]["digest"],
            "sha256:" + docker[0]["Config"].get<std::string>().substr(13));
  EXPECT_EQ(config["config"]["User"], "10001:10001");
  EXPECT_EQ(config["config"]["Labels"]["org.opencontainers.image.version"], "1.2.3");
  EXPECT_EQ(config["config"]["Labels"]["org.opencontainers.image.revision"], "abc");
  EXPECT_EQ(config["rootfs"]["diff_ids"].size(), 2u);
}

TEST_F(PlatformImageBuild, TheServiceAccountIsInTheRootFilesystem) {
  ASSERT_TRUE(build(out_.path() / "a.tar").has_value());
  const fs::path dir = extract(out_.path() / "a.tar");
  const Json docker = Json::parse(read_file(dir / "manifest.json").value());
  const fs::path rootfs = dir / "rootfs";
  fs::create_directories(rootfs);
  const std::string layer = (dir / docker[0]["Layers"][0].get<std::string>()).string();
  ASSERT_EQ(std::system(("tar -xzf '" + layer + "' -C '" + rootfs.string() + "'").c_str()), 0);
  EXPECT_NE(read_file(rootfs / "etc/passwd")
                .value()
                .find("orsa:x:10001:10001::/var/lib/orsa:/usr/sbin/nologin"),
            std::string::npos);
  EXPECT_EQ(read_file(rootfs / "etc/epoch").value(), "1700000000\n");
  EXPECT_TRUE(fs::is_directory(rootfs / "var/lib/orsa"));
  EXPECT_FALSE(fs::exists(rootfs / "etc/random-key"));
  const std::string listing = dir.string() + "/listing";
  ASSERT_EQ(std::system(("tar -tvzf '" + layer + "' --numeric-owner > '" + listing + "'").c_str()),
            0);
  const std::string lines = read_file(listing).value();
  EXPECT_NE(lines.find("10001/10001"), std::string::npos) << lines;
  EXPECT_NE(lines.find("0/0"), std::string::npos) << lines;
}

// Debian's /var/run is a link to the absolute /run: followed as root from
// outside the image it would reach the host's /run.
TEST_F(PlatformImageBuild, ARemovalThroughALinkInTheImageIsRefused) {
  TempDir host;
  write(host.path() / "precious", "keep");
  write(tools_.path() / "mmdebstrap",
        "#!/bin/sh\n"
        "while [ \"${1#-}\" != \"$1\" ]; do shift; done\n"
        "mkdir -p \"$2/etc\" && : > \"$2/etc/passwd\" && : > \"$2/etc/group\"\n"
        "ln -s '" +
            host.path().string() + "' \"$2/link\"\n");
  fs::permissions(tools_.path() / "mmdebstrap", fs::perms(0755));
  recipe_.remove = {"/link/precious"};
  auto built = build(out_.path() / "a.tar");
  ASSERT_FALSE(built.has_value());
  EXPECT_NE(built.error().message.find("passes through a symbolic link"), std::string::npos)
      << built.error().message;
  EXPECT_TRUE(fs::exists(host.path() / "precious"));
  recipe_.remove = {};
  recipe_.home = "/link/home";
  ASSERT_FALSE(build(out_.path() / "a.tar").has_value());
  EXPECT_FALSE(fs::exists(host.path() / "home"));
}

TEST_F(PlatformImageBuild, ABadTagOrFilesDirChangesNothing) {
  PlatformBuildOptions options{files_.path(),        "no tag!", {}, "", 1700000000, work_.path(),
                               out_.path() / "a.tar"};
  auto built = build_platform_image(recipe_, options, [](std::string_view) {});
  ASSERT_FALSE(built.has_value());
  options.tag = "1";
  options.files_dir = files_.path() / "missing";
  built = build_platform_image(recipe_, options, [](std::string_view) {});
  ASSERT_FALSE(built.has_value());
  EXPECT_NE(built.error().message.find("is not a directory"), std::string::npos);
  EXPECT_FALSE(fs::exists(out_.path() / "a.tar"));
}

}  // namespace
}  // namespace orsa::builder
