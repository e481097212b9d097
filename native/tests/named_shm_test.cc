#include "core/named_shm.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <csignal>
#include <unistd.h>

#include <string>

namespace eshm {
namespace {

std::string TestName(const char* tag) {
  return "/eshm-test-core-" + std::to_string(getpid()) + "-" + tag;
}

// Tests create, exclusive, reopen, size mismatch and unlink of one name.
TEST(NamedShm, OpensCreatesAndRemoves) {
  const std::string name = TestName("basic");
  NamedOpenOptions create;
  create.create = true;
  create.exclusive = true;
  create.mode = 0640;
  NamedSegment first;
  ASSERT_TRUE(OpenNamed(name, 8192, create, &first).ok());
  EXPECT_TRUE(first.created);
  struct stat st;
  ASSERT_EQ(fstat(first.fd.get(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(st.st_size, 8192);

  NamedSegment again;
  EXPECT_EQ(OpenNamed(name, 8192, create, &again).err, EEXIST);
  EXPECT_EQ(OpenNamed(name, 4096, NamedOpenOptions{}, &again).CodeName(), "ERR_SIZE_MISMATCH");
  ASSERT_TRUE(OpenNamed(name, 8192, NamedOpenOptions{}, &again).ok());
  EXPECT_FALSE(again.created);

  ASSERT_TRUE(UnlinkNamed(name).ok());
  EXPECT_EQ(UnlinkNamed(name).err, ENOENT);
  EXPECT_EQ(OpenNamed(name, 8192, NamedOpenOptions{}, &again).err, ENOENT);
}

// Tests that a segment whose creation fails half-way is removed again. The
// failure is real: a child process lowers RLIMIT_FSIZE so ftruncate fails.
TEST(NamedShm, FailedCreationLeavesNoName) {
  const std::string name = TestName("toolarge");
  pid_t child = fork();
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{4096, 4096};
    setrlimit(RLIMIT_FSIZE, &limit);
    NamedOpenOptions create;
    create.create = true;
    NamedSegment segment;
    Status s = OpenNamed(name, 1 << 20, create, &segment);
    bool right = s.err == EFBIG && std::string(s.syscall) == "ftruncate";
    _exit(right ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "ftruncate did not fail with EFBIG";
  EXPECT_EQ(access(("/dev/shm" + name).c_str(), F_OK), -1);
  UnlinkNamed(name);
}

uint64_t AllocatedBytes(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_blocks) * 512 : 0;
}

// Tests that a created segment has its pages reserved at once, and that a
// segment another program made with ftruncate alone gets them when opened,
// writable or read-only (a later first touch then finds its page there).
TEST(NamedShm, EveryOpenReservesThePages) {
  const std::string name = TestName("reserve");
  NamedOpenOptions create;
  create.create = true;
  create.exclusive = true;
  NamedSegment created;
  ASSERT_TRUE(OpenNamed(name, 40960, create, &created).ok());
  EXPECT_GE(AllocatedBytes(created.fd.get()), 40960u);
  ASSERT_TRUE(UnlinkNamed(name).ok());

  for (bool read_only : {false, true}) {
    UniqueFd other(shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600));
    ASSERT_TRUE(other.valid());
    ASSERT_EQ(ftruncate(other.get(), 40960), 0);
    EXPECT_EQ(AllocatedBytes(other.get()), 0u);
    NamedOpenOptions open;
    open.read_only = read_only;
    NamedSegment segment;
    ASSERT_TRUE(OpenNamed(name, 40960, open, &segment).ok());
    EXPECT_GE(AllocatedBytes(other.get()), 40960u) << (read_only ? "read-only" : "writable");
    ASSERT_TRUE(UnlinkNamed(name).ok());
  }
}

}  // namespace
}  // namespace eshm
