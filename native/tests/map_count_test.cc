// Placing and removing shared pages at vm.max_map_count. Each test runs in
// a child process (a death test that must exit 0) that fills its own count
// of mappings up to the limit: the limit is the machine's (a sysctl for
// every process), so the tests lower nothing, they use it up.
#include "core/map_count.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/mapping.h"
#include "core/shared_file.h"
#include "core/sysv_shm.h"

namespace eshm {
namespace {

// Counts lines of a /proc file with read(2) into a fixed buffer: no
// allocation, which at the limit could itself need a new mapping.
long CountLines(const char* path) {
  static char buffer[1 << 16];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  long lines = 0;
  ssize_t got;
  while ((got = read(fd, buffer, sizeof buffer)) > 0) {
    for (ssize_t i = 0; i < got; ++i) lines += buffer[i] == '\n';
  }
  close(fd);
  return lines;
}

bool HasVsyscallPage() {
  FILE* maps = fopen("/proc/self/maps", "re");
  char line[512];
  bool found = false;
  while (maps != nullptr && fgets(line, sizeof line, maps) != nullptr) found = found || strstr(line, "[vsyscall]");
  if (maps != nullptr) fclose(maps);
  return found;
}

// The process's mappings as the kernel counts them against the limit: the
// lines of /proc/self/maps but the vsyscall page, which is not one of its own.
long MapCount() {
  static const long vsyscall = HasVsyscallPage() ? 1 : 0;
  return CountLines("/proc/self/maps") - vsyscall;
}

long MaxMapCount() {
  FILE* file = fopen("/proc/sys/vm/max_map_count", "re");
  long max = -1;
  if (file == nullptr || fscanf(file, "%ld", &max) != 1) max = -1;
  if (file != nullptr) fclose(file);
  return max;
}

// Mappings that leave the process exactly `room` mappings under the limit
// (one over it for -1): a PROT_NONE region cut by readable pages, two
// mappings each, and single shared pages, one each (each is a file of its
// own, so none merges with a neighbour). Free() gives them all back.
class Filler {
 public:
  bool LeaveRoom(long room) {
    const long target = MaxMapCount() - room;
    const size_t page = PageSize();
    const long cuts = (target - MapCount()) / 2 + 1;
    if (cuts < 1) return false;
    region_pages_ = 2 * static_cast<size_t>(cuts) + 1;
    region_ = static_cast<char*>(mmap(nullptr, region_pages_ * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
    if (region_ == MAP_FAILED) return false;
    // A cut needs two splits, which the kernel refuses from the limit on;
    // a new mapping it allows up to one over.
    const long cut_to = std::min(target, MaxMapCount());
    long now = MapCount();
    for (size_t i = 1; now + 2 <= cut_to && i < region_pages_; i += 2, now += 2) {
      if (mprotect(region_ + i * page, page, PROT_READ) != 0) return false;
    }
    for (; now < target; ++now) {
      void* single = mmap(nullptr, page, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      if (single == MAP_FAILED) return false;
      singles_.push_back(single);
    }
    return MapCount() == target;
  }

  void Free() {
    for (void* single : singles_) munmap(single, PageSize());
    singles_.clear();
    if (region_ != nullptr) munmap(region_, region_pages_ * PageSize());
    region_ = nullptr;
  }

 private:
  char* region_ = nullptr;
  size_t region_pages_ = 0;
  std::vector<void*> singles_;
};

// What a child reports: "" when every check held, else the first that failed.
using Checks = std::string (*)();
#define CHECK_THAT(condition) \
  if (!(condition)) return std::string("line ") + std::to_string(__LINE__) + ": " #condition

void RunInChild(Checks checks) {
  const std::string failed = checks();
  if (!failed.empty()) {
    std::fputs(failed.c_str(), stderr);
    std::fflush(stderr);
    _exit(1);
  }
  _exit(0);
}

// Private pages at a page-aligned address, standing in for a V8 buffer,
// every byte 0x5a.
char* PrivatePages(size_t pages) {
  void* got = mmap(nullptr, pages * PageSize(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (got == MAP_FAILED) return nullptr;
  std::memset(got, 0x5a, pages * PageSize());
  return static_cast<char*>(got);
}

bool AllBytesAre(const char* from, size_t length, char value) {
  for (size_t i = 0; i < length; ++i) {
    if (from[i] != value) return false;
  }
  return true;
}

int SharedFd() {
  UniqueFd fd;
  if (!CreateAnonymousFile(PageSize(), "/tmp", true, &fd).ok()) return -1;
  return fd.release();
}

// Tests that the reserve takes 64 mappings and gives every one back.
TEST(MapCount, TheReserveTakesItsMappingsAndGivesThemBack) {
  ASSERT_TRUE(HoldMapCountReserve());  // makes its region on first use
  const long held = MapCount();
  ReleaseMapCountReserve();
  EXPECT_EQ(MapCountReserveHeld(), 0u);
  EXPECT_EQ(MapCount(), held - static_cast<long>(kMapCountReserve));
  ASSERT_TRUE(HoldMapCountReserve());
  EXPECT_EQ(MapCountReserveHeld(), kMapCountReserve);
  EXPECT_EQ(MapCount(), held);
  EXPECT_TRUE(MapCountHasRoom());
  EXPECT_EQ(MapCount(), held) << "the probe keeps no mapping";
}

// Tests that a placement at the limit fails with ENOMEM naming it, leaves
// the range's own bytes where they were, and gives the reserve back so that
// the process can map again; once there is room, placements work again and
// the reserve is whole.
TEST(MapCount, PlacementAtTheLimitFailsAndLeavesTheRangeIntact) {
  EXPECT_EXIT(RunInChild([]() -> std::string {
                const size_t page = PageSize();
                const int fd = SharedFd();
                char* area = PrivatePages(3);
                CHECK_THAT(fd >= 0 && area != nullptr);
                CHECK_THAT(HoldMapCountReserve());
                Filler filler;
                CHECK_THAT(filler.LeaveRoom(0));

                Status s = MapSharedAt(area + page, page, fd, 0, false);
                CHECK_THAT(s.err == ENOMEM);
                CHECK_THAT(std::string(s.limit) == "vm.max_map_count");
                CHECK_THAT(AllBytesAre(area, 3 * page, 0x5a));
                CHECK_THAT(MapCountReserveHeld() == 0);
                CHECK_THAT(MapCount() == MaxMapCount() - static_cast<long>(kMapCountReserve));

                // Too near the limit to hold the reserve: refused before the kernel is asked.
                s = MapSharedAt(area + page, page, fd, 0, false);
                CHECK_THAT(s.CodeName() == "ENOMEM" && s.err == 0);
                CHECK_THAT(std::string(s.limit) == "vm.max_map_count");
                CHECK_THAT(AllBytesAre(area, 3 * page, 0x5a));

                filler.Free();
                CHECK_THAT(MapSharedAt(area + page, page, fd, 0, false).ok());
                CHECK_THAT(MapCountReserveHeld() == kMapCountReserve);
                CHECK_THAT(area[page] == 0 && area[0] == 0x5a && area[2 * page] == 0x5a);
                CHECK_THAT(RestorePrivateAt(area + page, page).ok());
                return "";
              }),
              ::testing::ExitedWithCode(0), "");
}

// Tests that a placement which takes the process over the limit (a split
// in the middle of a mapping adds two) gives the reserve back at once, so
// that others can still map, and that its pages can be made private again.
TEST(MapCount, PlacementThatReachesTheLimitGivesTheReserveBack) {
  EXPECT_EXIT(RunInChild([]() -> std::string {
                const size_t page = PageSize();
                const int fd = SharedFd();
                char* area = PrivatePages(3);
                CHECK_THAT(fd >= 0 && area != nullptr);
                CHECK_THAT(HoldMapCountReserve());
                Filler filler;
                CHECK_THAT(filler.LeaveRoom(1));

                CHECK_THAT(MapSharedAt(area + page, page, fd, 0, false).ok());
                CHECK_THAT(MapCountReserveHeld() == 0);
                void* other = mmap(nullptr, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                CHECK_THAT(other != MAP_FAILED);
                area[page] = 7;
                CHECK_THAT(RestorePrivateAt(area + page, page).ok());
                CHECK_THAT(area[page] == 0);
                return "";
              }),
              ::testing::ExitedWithCode(0), "");
}

// Tests that private pages can be put back while the process is over the
// limit, where the kernel refuses every new mapping: the reserve gives back
// one part (two mappings), which is enough, since replacing a whole
// mapping needs no split.
TEST(MapCount, RestoreOverTheLimitUsesTheReserve) {
  EXPECT_EXIT(RunInChild([]() -> std::string {
                const size_t page = PageSize();
                const int fd = SharedFd();
                char* area = PrivatePages(3);
                CHECK_THAT(fd >= 0 && area != nullptr);
                CHECK_THAT(MapSharedAt(area + page, page, fd, 0, false).ok());
                CHECK_THAT(MapCountReserveHeld() == kMapCountReserve);
                Filler filler;
                CHECK_THAT(filler.LeaveRoom(-1));
                CHECK_THAT(mmap(nullptr, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);

                area[page] = 7;
                CHECK_THAT(RestorePrivateAt(area + page, page).ok());
                CHECK_THAT(area[page] == 0);
                CHECK_THAT(MapCountReserveHeld() == kMapCountReserve - 2);
                CHECK_THAT(area[0] == 0x5a && area[2 * page] == 0x5a);
                return "";
              }),
              ::testing::ExitedWithCode(0), "");
}

// Tests that a restore that finds the reserve spent fails with ENOMEM
// naming the limit, and leaves the shared pages where they were: never a
// hole, and never private pages that would mislead the caller into
// letting the memory go.
TEST(MapCount, RestoreWithTheReserveSpentFailsAndLeavesTheRange) {
  EXPECT_EXIT(RunInChild([]() -> std::string {
                const size_t page = PageSize();
                const int fd = SharedFd();
                char* area = PrivatePages(3);
                CHECK_THAT(fd >= 0 && area != nullptr);
                CHECK_THAT(MapSharedAt(area + page, page, fd, 0, false).ok());
                ReleaseMapCountReserve();
                Filler filler;
                CHECK_THAT(filler.LeaveRoom(-1));

                area[page] = 7;
                Status s = RestorePrivateAt(area + page, page);
                CHECK_THAT(s.err == ENOMEM);
                CHECK_THAT(std::string(s.limit) == "vm.max_map_count");
                filler.Free();
                auto* other = static_cast<char*>(mmap(nullptr, page, PROT_READ, MAP_SHARED, fd, 0));
                CHECK_THAT(other != MAP_FAILED && other[0] == 7);
                area[page] = 8;
                CHECK_THAT(other[0] == 8);  // still the shared page
                CHECK_THAT(RestorePrivateAt(area + page, page).ok());
                return "";
              }),
              ::testing::ExitedWithCode(0), "");
}

// Tests that a System V attach at the limit fails with ENOMEM, leaves the
// range's bytes, and gives the reserve back, as an mmap placement does.
TEST(MapCount, SysvAttachAtTheLimitFailsAndLeavesTheRangeIntact) {
  EXPECT_EXIT(RunInChild([]() -> std::string {
                const size_t page = PageSize();
                char* area = PrivatePages(3);
                CHECK_THAT(area != nullptr && HoldMapCountReserve());
                Filler filler;
                CHECK_THAT(filler.LeaveRoom(0));
                const int id = shmget(IPC_PRIVATE, page, IPC_CREAT | 0600);
                CHECK_THAT(id >= 0);
                Status s = SysvAttachAt(id, area + page, page, false);
                shmctl(id, IPC_RMID, nullptr);  // at once: no segment is left whatever fails next
                CHECK_THAT(s.err == ENOMEM && std::string(s.syscall) == "shmat");
                CHECK_THAT(std::string(s.limit) == "vm.max_map_count");
                CHECK_THAT(AllBytesAre(area, 3 * page, 0x5a));
                CHECK_THAT(MapCountReserveHeld() == 0);
                return "";
              }),
              ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace eshm
