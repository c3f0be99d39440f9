#include "data_dir_lock.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/temp_dir.hpp"
#include "deployer/config.hpp"

namespace orsa::deployer {
namespace {

TEST(DataDirLock, OneHolderAtATimeAndTheLockNamesIt) {
  TempDir dir;
  EXPECT_FALSE(DataDirLock::holder(dir.path()));
  {
    auto lock = DataDirLock::acquire(dir.path());
    ASSERT_TRUE(lock) << lock.error().message;
    EXPECT_EQ(DataDirLock::holder(dir.path()), ::getpid());
    auto second = DataDirLock::acquire(dir.path());
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, ErrorCode::kConflict);
    EXPECT_NE(second.error().message.find("pid " + std::to_string(::getpid())), std::string::npos)
        << second.error().message;
  }
  EXPECT_FALSE(DataDirLock::holder(dir.path())) << "released with its holder";
  EXPECT_TRUE(DataDirLock::acquire(dir.path()));
}

TEST(DataDirLock, AKilledHolderLeavesNoStaleLock) {
  TempDir dir;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = DataDirLock::acquire(dir.path());
    const char byte = lock ? 'y' : 'n';
    std::ignore = ::write(ready[1], &byte, 1);
    ::pause();  // until killed
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ASSERT_EQ(byte, 'y');
  EXPECT_EQ(DataDirLock::holder(dir.path()), child);
  EXPECT_FALSE(DataDirLock::acquire(dir.path()));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_FALSE(DataDirLock::holder(dir.path()));
  EXPECT_TRUE(DataDirLock::acquire(dir.path()));
}

TEST(Config, CheckSubcommandTakesTheServersFlags) {
  const char* args[] = {"orsa-deployer", "check",  "--repair",    "--json",
                        "--data-dir",    "/tmp/d", "--no-runtime"};
  auto config = parse_config(7, args);
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_TRUE(config->check);
  EXPECT_TRUE(config->check->repair);
  EXPECT_TRUE(config->check->json);
  EXPECT_TRUE(config->check->verify_content);
  EXPECT_EQ(config->data_dir, "/tmp/d");
  EXPECT_TRUE(config->no_runtime);
  const char* serve[] = {"orsa-deployer", "--data-dir", "/tmp/d"};
  EXPECT_FALSE(parse_config(3, serve).value().check);
  const char* bad[] = {"orsa-deployer", "check", "--fix"};
  EXPECT_FALSE(parse_config(3, bad));
}

}  // namespace
}  // namespace orsa::deployer
