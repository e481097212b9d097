#include "core/shared_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace eshm {
namespace {

int EntriesIn(const std::string& dir) {
  int n = 0;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

// Tests that anonymous memory has the asked size and is a sealable memfd.
TEST(SharedFile, CreatesSealableMemfdOfTheAskedSize) {
  UniqueFd fd;
  ASSERT_TRUE(CreateAnonymousFile(10000, "/nonexistent", true, &fd).ok());
  FileInfo info;
  ASSERT_TRUE(DescribeFile(fd.get(), &info).ok());
  EXPECT_EQ(info.size, 10000u);
  EXPECT_FALSE(info.read_only);
  EXPECT_TRUE(info.sealable);
  EXPECT_FALSE(info.write_sealed);
  char link[256] = {};
  ASSERT_GT(readlink(("/proc/self/fd/" + std::to_string(fd.get())).c_str(), link, sizeof link - 1), 0);
  EXPECT_EQ(std::string(link).rfind("/memfd:electron-shm", 0), 0u) << link;
}

// Tests that the file fallback leaves no name behind, even while open.
TEST(SharedFile, FileFallbackIsUnlinkedAtOnce) {
  char dir[] = "/tmp/eshm-core-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  UniqueFd fd;
  ASSERT_TRUE(CreateAnonymousFile(8192, dir, false, &fd).ok());
  EXPECT_EQ(EntriesIn(dir), 0);
  FileInfo info;
  ASSERT_TRUE(DescribeFile(fd.get(), &info).ok());
  EXPECT_EQ(info.size, 8192u);
  EXPECT_FALSE(info.sealable);
  EXPECT_EQ(SealFutureWrites(fd.get()).err, ENOTSUP);
  rmdir(dir);
}

// Tests that a missing directory is reported as the open(2) failure it is.
TEST(SharedFile, FileFallbackInMissingDirectoryIsEnoent) {
  UniqueFd fd;
  Status s = CreateAnonymousFile(4096, "/nonexistent-eshm-dir", false, &fd);
  EXPECT_EQ(s.err, ENOENT);
  EXPECT_STREQ(s.syscall, "open");
  EXPECT_FALSE(fd.valid());
}

// Tests that, once sealed, no route from a read-only descriptor leads to a
// writable shared mapping, while the creator's existing one keeps writing.
TEST(SharedFile, SealedReadOnlyDescriptorHasNoRouteToWriting) {
  UniqueFd fd;
  ASSERT_TRUE(CreateAnonymousFile(4096, "/tmp", true, &fd).ok());
  auto* creator = static_cast<char*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0));
  ASSERT_NE(creator, MAP_FAILED);
  ASSERT_TRUE(SealFutureWrites(fd.get()).ok());
  UniqueFd ro;
  ASSERT_TRUE(ReopenReadOnly(fd.get(), &ro).ok());
  FileInfo info;
  ASSERT_TRUE(DescribeFile(ro.get(), &info).ok());
  EXPECT_TRUE(info.read_only);
  EXPECT_TRUE(info.write_sealed);

  // A writable mapping of the read-only descriptor.
  EXPECT_EQ(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro.get(), 0), MAP_FAILED);
  EXPECT_EQ(errno, EACCES);

  // mprotect of a read-only mapping.
  void* reader = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, ro.get(), 0);
  ASSERT_NE(reader, MAP_FAILED);
  EXPECT_EQ(mprotect(reader, 4096, PROT_READ | PROT_WRITE), -1);
  EXPECT_EQ(errno, EACCES);

  // Reopening through /proc read-write succeeds, but writing does not.
  UniqueFd rw(open(("/proc/self/fd/" + std::to_string(ro.get())).c_str(), O_RDWR));
  ASSERT_TRUE(rw.valid());
  EXPECT_EQ(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rw.get(), 0), MAP_FAILED);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(write(rw.get(), "x", 1), -1);
  EXPECT_EQ(errno, EPERM);

  creator[0] = 42;
  EXPECT_EQ(static_cast<char*>(reader)[0], 42);
  munmap(reader, 4096);
  munmap(creator, 4096);
}

// Tests that nobody can shrink the memory under another's mapping.
TEST(SharedFile, MemfdCannotShrink) {
  UniqueFd fd;
  ASSERT_TRUE(CreateAnonymousFile(8192, "/tmp", true, &fd).ok());
  EXPECT_EQ(ftruncate(fd.get(), 4096), -1);
  EXPECT_EQ(errno, EPERM);
}

// Tests that describing something that is not shared memory fails cleanly.
TEST(SharedFile, DescribeRefusesBadDescriptors) {
  FileInfo info;
  EXPECT_EQ(DescribeFile(-1, &info).err, EBADF);
  int pipes[2];
  ASSERT_EQ(pipe(pipes), 0);
  EXPECT_EQ(DescribeFile(pipes[0], &info).err, EINVAL);
  close(pipes[0]);
  close(pipes[1]);
  EXPECT_EQ(AdoptInheritedFd(-1).err, EBADF);
}

}  // namespace
}  // namespace eshm
