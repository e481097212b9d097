// Our replacements for calls of a newer glibc (core/libc_floor.h,
// core/errno_names.cc) against glibc's own, on the build machine, which has
// them: same names, same files, same errno.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "core/libc_floor.h"
#include "core/status.h"
#include "core/unique_fd.h"

namespace eshm {
namespace {

TEST(ErrnoNames, NameEveryErrnoAsGlibcDoes) {
  for (int err = 1; err < 200; ++err) {
    const char* glibc = strerrorname_np(err);
    EXPECT_EQ(ErrnoName(err), glibc != nullptr ? glibc : "E" + std::to_string(err)) << "errno " << err;
  }
}

TEST(FileStatus, SaysWhatFstatSays) {
  UniqueFd fd(memfd_create("libc-floor", MFD_CLOEXEC));
  ASSERT_TRUE(fd.valid());
  ASSERT_EQ(ftruncate(fd.get(), 12345), 0);
  struct stat ours {}, theirs {};
  ASSERT_EQ(FileStatus(fd.get(), &ours), 0);
  ASSERT_EQ(fstat(fd.get(), &theirs), 0);
  EXPECT_EQ(ours.st_size, 12345);
  EXPECT_EQ(ours.st_ino, theirs.st_ino);
  EXPECT_EQ(ours.st_mode, theirs.st_mode);
  EXPECT_EQ(ours.st_blocks, theirs.st_blocks);
  EXPECT_EQ(ours.st_mtim.tv_nsec, theirs.st_mtim.tv_nsec);
  EXPECT_EQ(FileStatus(-1, &ours), -1);
  EXPECT_EQ(errno, EBADF);
}

// errno after a call that failed, 0 after one that succeeded (closing what it opened).
int ErrnoOf(int result) {
  if (result >= 0) {
    if (result > 2) close(result);
    return 0;
  }
  return errno;
}

TEST(ShmOpen, OpensWhatShmOpenOpens) {
  const std::string name = "/eshm-test-libc-floor-" + std::to_string(getpid());
  UniqueFd ours(ShmOpen(name, O_RDWR | O_CREAT | O_EXCL, 0600));
  ASSERT_TRUE(ours.valid());
  EXPECT_EQ(fcntl(ours.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  UniqueFd theirs(shm_open(name.c_str(), O_RDWR, 0));
  ASSERT_TRUE(theirs.valid());
  struct stat a {}, b {};
  ASSERT_EQ(fstat(ours.get(), &a), 0);
  ASSERT_EQ(fstat(theirs.get(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  // Leading slashes are dropped, as glibc drops them.
  UniqueFd slashes(ShmOpen("//" + name, O_RDONLY, 0));
  EXPECT_TRUE(slashes.valid());
  EXPECT_EQ(ShmUnlink(name), 0);
  EXPECT_EQ(ErrnoOf(shm_open(name.c_str(), O_RDONLY, 0)), ENOENT);
}

TEST(ShmOpen, FailsWithGlibcsErrno) {
  const std::string too_long = "/" + std::string(NAME_MAX + 1, 'x');
  for (const std::string& name : {std::string(""), std::string("/"), std::string("/a/b"), too_long,
                                  std::string("/eshm-test-libc-floor-missing")}) {
    EXPECT_EQ(ErrnoOf(ShmOpen(name, O_RDONLY, 0)), ErrnoOf(shm_open(name.c_str(), O_RDONLY, 0))) << name;
    EXPECT_EQ(ErrnoOf(ShmUnlink(name)), ErrnoOf(shm_unlink(name.c_str()))) << name;
  }
  EXPECT_EQ(ErrnoOf(ShmOpen(too_long, O_RDONLY, 0)), ENAMETOOLONG);
}

}  // namespace
}  // namespace eshm
