#include "core/sysv_shm.h"

#include <gtest/gtest.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "core/mapping.h"

namespace eshm {
namespace {

// A key no other test run uses: random, away from 0 (IPC_PRIVATE).
int32_t RandomKey() {
  std::random_device random;
  return static_cast<int32_t>(0x45000000u | (random() & 0x00ffffffu));
}

// Private pages at a page-aligned address, standing in for a V8 buffer.
void* PrivatePages(size_t length) {
  void* addr = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT_NE(addr, MAP_FAILED);
  return addr;
}

// Tests create, exclusive, open, too large a size and a missing key.
TEST(SysvShm, CreatesOpensAndRefuses) {
  const int32_t key = RandomKey();
  SysvOpenOptions create;
  create.create = true;
  create.exclusive = true;
  create.mode = 0640;
  int id = -1;
  bool created = false;
  ASSERT_TRUE(SysvGet(key, 8192, create, &id, &created).ok());
  EXPECT_TRUE(created);

  int again = -1;
  EXPECT_EQ(SysvGet(key, 8192, create, &again, &created).err, EEXIST);
  SysvOpenOptions open;
  ASSERT_TRUE(SysvGet(key, 0, open, &again, &created).ok());
  EXPECT_EQ(again, id);
  EXPECT_FALSE(created);
  EXPECT_EQ(SysvGet(key, 1 << 20, open, &again, &created).err, EINVAL);
  SysvOpenOptions create_or_open;
  create_or_open.create = true;
  ASSERT_TRUE(SysvGet(key, 8192, create_or_open, &again, &created).ok());
  EXPECT_FALSE(created);

  SysvStatus status;
  ASSERT_TRUE(SysvStat(id, &status).ok());
  EXPECT_EQ(status.size, 8192u);
  EXPECT_EQ(status.mode, 0640u);
  EXPECT_EQ(status.creator_pid, getpid());
  EXPECT_EQ(status.attached, 0u);
  EXPECT_EQ(status.attach_time, 0);
  EXPECT_GT(status.change_time, 0);

  ASSERT_TRUE(SysvRemove(id).ok());
  EXPECT_EQ(SysvStat(id, &status).err, EINVAL);
  EXPECT_EQ(SysvGet(key, 0, open, &again, &created).err, ENOENT);
}

// Tests that attaching over private pages shares them, that the status
// counts attach and detach, and that a removed segment lives until the
// last detach.
TEST(SysvShm, AttachDetachAndRemoveAfterLastDetach) {
  SysvOpenOptions create;
  create.create = true;
  int id = -1;
  bool created = false;
  ASSERT_TRUE(SysvGet(IPC_PRIVATE, 4096, create, &id, &created).ok());
  EXPECT_TRUE(created);
  const size_t page = PageSize();
  auto* first = static_cast<char*>(PrivatePages(page));
  auto* second = static_cast<char*>(PrivatePages(page));
  ASSERT_TRUE(SysvAttachAt(id, first, page, false).ok());
  ASSERT_TRUE(SysvAttachAt(id, second, page, true).ok());
  std::strcpy(first, "shared");
  EXPECT_STREQ(second, "shared");

  SysvStatus status;
  ASSERT_TRUE(SysvStat(id, &status).ok());
  EXPECT_EQ(status.attached, 2u);
  EXPECT_EQ(status.last_pid, getpid());
  EXPECT_GT(status.attach_time, 0);

  ASSERT_TRUE(SysvRemove(id).ok());
  ASSERT_TRUE(SysvStat(id, &status).ok());
  EXPECT_TRUE(status.removed);
  ASSERT_TRUE(RestorePrivateAt(first, page).ok());
  ASSERT_TRUE(SysvStat(id, &status).ok());
  EXPECT_EQ(status.attached, 1u);
  EXPECT_GT(status.detach_time, 0);
  EXPECT_STREQ(second, "shared");
  ASSERT_TRUE(RestorePrivateAt(second, page).ok());
  EXPECT_EQ(SysvStat(id, &status).err, EINVAL);  // destroyed at the last detach
  munmap(first, page);
  munmap(second, page);
}

// Tests ftok on a path that exists and one that does not.
TEST(SysvShm, KeysFromPaths) {
  int32_t key = 0;
  ASSERT_TRUE(SysvKeyFromPath("/", 7, &key).ok());
  int32_t same = 0;
  ASSERT_TRUE(SysvKeyFromPath("/", 7, &same).ok());
  EXPECT_EQ(key, same);
  EXPECT_EQ(SysvKeyFromPath("/nonexistent/eshm", 7, &key).err, ENOENT);
}

// Tests that a failed attach leaves the caller's pages in place.
TEST(SysvShm, FailedAttachLeavesNoHole) {
  const size_t page = PageSize();
  auto* pages = static_cast<char*>(PrivatePages(page));
  EXPECT_EQ(SysvAttachAt(-1, pages, page, false).err, EINVAL);
  pages[0] = 1;  // still mapped: would fault otherwise
  munmap(pages, page);
}

}  // namespace
}  // namespace eshm
