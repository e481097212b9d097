#include "core/shared_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace eshm {
namespace {

// A second descriptor of the memory, opened read-write through /proc as an
// importer of this user could: a memfd's mode lets it.
UniqueFd ReopenThroughProc(int fd) {
  return UniqueFd(open(("/proc/self/fd/" + std::to_string(fd)).c_str(), O_RDWR | O_CLOEXEC));
}

uint64_t AllocatedBytes(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_blocks) * 512 : 0;
}

int EntriesIn(const std::string& dir) {
  int n = 0;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

// Tests that anonymous memory has the asked size and is a memfd whose seals
// are not final yet.
TEST(SharedFile, CreatesSealableMemfdOfTheAskedSize) {
  UniqueFd fd;
  ASSERT_TRUE(CreateAnonymousFile(10000, "/nonexistent", true, &fd).ok());
  FileInfo info;
  ASSERT_TRUE(DescribeFile(fd.get(), &info).ok());
  EXPECT_EQ(info.size, 10000u);
  EXPECT_FALSE(info.read_only);
  EXPECT_TRUE(info.memfd);
  EXPECT_FALSE(info.seals_final);
  EXPECT_FALSE(info.write_sealed);
  char link[256] = {};
  ASSERT_GT(readlink(("/proc/self/fd/" + std::to_string(fd.get())).c_str(), link, sizeof link - 1), 0);
  EXPECT_EQ(std::string(link).rfind("/memfd:electron-shm", 0), 0u) << link;
}

// Tests that the file fallback leaves no name behind, even while open, has
// its pages reserved, and keeps no permission a reopen could use.
TEST(SharedFile, FileFallbackIsUnlinkedReservedAndClosedToReopening) {
  char dir[] = "/tmp/eshm-core-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  UniqueFd fd;
  ASSERT_TRUE(CreateAnonymousFile(8192, dir, false, &fd).ok());
  EXPECT_EQ(EntriesIn(dir), 0);
  FileInfo info;
  ASSERT_TRUE(DescribeFile(fd.get(), &info).ok());
  EXPECT_EQ(info.size, 8192u);
  EXPECT_FALSE(info.memfd);
  EXPECT_EQ(SealForSharing(fd.get(), false).err, ENOTSUP);
  EXPECT_GE(AllocatedBytes(fd.get()), 8192u);
  struct stat st;
  ASSERT_EQ(fstat(fd.get(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0u);
  EXPECT_EQ(write(fd.get(), "x", 1), 1) << "the creator's descriptor stays writable";

  UniqueFd growable;
  ASSERT_TRUE(CreateAnonymousFile(8192, dir, false, &growable, true).ok());
  ASSERT_EQ(fstat(growable.get(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0400u) << "a resizable map's header lock reopens it read-only";
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
  ASSERT_TRUE(SealForSharing(fd.get(), true).ok());
  UniqueFd ro;
  ASSERT_TRUE(ReopenReadOnly(fd.get(), &ro).ok());
  FileInfo info;
  ASSERT_TRUE(DescribeFile(ro.get(), &info).ok());
  EXPECT_TRUE(info.read_only);
  EXPECT_TRUE(info.write_sealed);
  EXPECT_TRUE(info.seals_final);

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

// Tests that, through a descriptor reopened read-write as any importer
// could, nobody can change the size of fixed-size memory or, once shared,
// add a seal.
TEST(SharedFile, MemfdSizeAndSealsCannotChange) {
  for (bool read_only : {false, true}) {
    UniqueFd fd;
    ASSERT_TRUE(CreateAnonymousFile(65536, "/tmp", true, &fd).ok());
    ASSERT_TRUE(SealForSharing(fd.get(), read_only).ok());
    UniqueFd rw = ReopenThroughProc(fd.get());
    ASSERT_TRUE(rw.valid());
    EXPECT_EQ(ftruncate(rw.get(), 1 << 20), -1);
    EXPECT_EQ(errno, EPERM);
    EXPECT_EQ(ftruncate(rw.get(), 4096), -1);
    EXPECT_EQ(errno, EPERM);
    EXPECT_EQ(posix_fallocate(rw.get(), 0, 1 << 20), EPERM);
    EXPECT_EQ(fcntl(rw.get(), F_ADD_SEALS, F_SEAL_WRITE), -1);
    EXPECT_EQ(errno, EPERM);
    EXPECT_EQ(SealForSharing(rw.get(), !read_only).err, EPERM) << "sharing seals once";
    FileInfo info;
    ASSERT_TRUE(DescribeFile(fd.get(), &info).ok());
    EXPECT_EQ(info.size, 65536u);
    EXPECT_EQ(info.write_sealed, read_only);
  }
}

// Tests that growable memory (a resizable map's) grows but never shrinks,
// and once shared takes no seal from a peer.
TEST(SharedFile, GrowableMemfdGrowsButNeverShrinks) {
  UniqueFd fd;
  ASSERT_TRUE(CreateAnonymousFile(8192, "/tmp", true, &fd, true).ok());
  ASSERT_TRUE(SealForSharing(fd.get(), false).ok());
  UniqueFd rw = ReopenThroughProc(fd.get());
  ASSERT_TRUE(rw.valid());
  EXPECT_EQ(ftruncate(rw.get(), 16384), 0);
  EXPECT_EQ(ftruncate(rw.get(), 4096), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(fcntl(rw.get(), F_ADD_SEALS, F_SEAL_GROW), -1);
  EXPECT_EQ(errno, EPERM);
}

// Tests that memory made with ftruncate alone (holes, as another program
// may leave a named segment) gets every page reserved, through a writable
// descriptor and through a read-only one.
TEST(SharedFile, ReserveFillsHolesThroughAnyDescriptor) {
  for (bool read_only : {false, true}) {
    char path[] = "/dev/shm/eshm-test-core-reserve-XXXXXX";
    UniqueFd made(mkstemp(path));
    ASSERT_TRUE(made.valid());
    unlink(path);
    ASSERT_EQ(ftruncate(made.get(), 40960), 0);
    EXPECT_EQ(AllocatedBytes(made.get()), 0u);
    UniqueFd fd(open(("/proc/self/fd/" + std::to_string(made.get())).c_str(), read_only ? O_RDONLY : O_RDWR));
    ASSERT_TRUE(fd.valid());
    ASSERT_TRUE(Reserve(fd.get()).ok());
    EXPECT_GE(AllocatedBytes(made.get()), 40960u) << (read_only ? "read-only" : "writable");
    ASSERT_TRUE(Reserve(fd.get()).ok()) << "a second reservation finds every page there";
  }
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
