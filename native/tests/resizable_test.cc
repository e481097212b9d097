#include "core/resizable.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/mapping.h"

namespace eshm {
namespace {

int NewMemfd() {
  int fd = memfd_create("eshm-test-resizable", MFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  return fd;
}

off_t FileSize(int fd) {
  struct stat st;
  EXPECT_EQ(fstat(fd, &st), 0);
  return st.st_size;
}

// Tests the header: written, read back, grown, never shrunk, bounded by the span.
TEST(Resizable, GrowsWithinTheSpan) {
  const uint64_t page = PageSize();
  int fd = NewMemfd();
  ASSERT_TRUE(InitResizable(fd, page, 8 * page).ok());
  uint64_t size = 0, span = 0;
  ASSERT_TRUE(ReadResizable(fd, 0, &size, &span).ok());
  EXPECT_EQ(size, page);
  EXPECT_EQ(span, 8 * page);
  EXPECT_EQ(FileSize(fd), static_cast<off_t>(ResizableDataOffset() + page));

  uint64_t now = 0;
  ASSERT_TRUE(GrowResizable(fd, 4 * page, 8 * page, &now).ok());
  EXPECT_EQ(now, 4 * page);
  EXPECT_EQ(FileSize(fd), static_cast<off_t>(ResizableDataOffset() + 4 * page));
  ASSERT_TRUE(GrowResizable(fd, 2 * page, 8 * page, &now).ok());
  EXPECT_EQ(now, 4 * page);
  EXPECT_EQ(GrowResizable(fd, 9 * page, 8 * page, &now).CodeName(), "ERR_SPAN_EXCEEDED");
  ASSERT_TRUE(ReadResizable(fd, 0, &size, &span).ok());
  EXPECT_EQ(size, 4 * page);
  close(fd);
}

// Tests that memory without a header is refused.
TEST(Resizable, RefusesMemoryWithoutHeader) {
  int fd = NewMemfd();
  ASSERT_EQ(ftruncate(fd, 3 * PageSize()), 0);
  uint64_t size = 0, span = 0, now = 0;
  EXPECT_EQ(ReadResizable(fd, 0, &size, &span).CodeName(), "ERR_NOT_RESIZABLE");
  // Growing comes after opening: a header gone by then is a peer's doing.
  EXPECT_EQ(GrowResizable(fd, PageSize(), 8 * PageSize(), &now).CodeName(), "ERR_MAP_CORRUPT");
  close(fd);
}

void WriteWord(int fd, off_t offset, uint64_t value) {
  ASSERT_EQ(pwrite(fd, &value, sizeof value, offset), static_cast<ssize_t>(sizeof value));
}

// Tests that a header another process wrote is checked against the file and
// the span this process saw, never trusted: a size past the file's end
// (whose pages are not there: a SIGBUS at the first touch), another span,
// a size of 0 or past the span, or no magic number left is ERR_MAP_CORRUPT.
TEST(Resizable, RefusesHeaderTheFileContradicts) {
  const uint64_t page = PageSize();
  const uint64_t span = 64 * page;
  int fd = NewMemfd();
  ASSERT_TRUE(InitResizable(fd, 2 * page, span).ok());
  uint64_t size = 0, seen = 0, now = 0;
  struct Case {
    off_t offset;  // magic 0, size 8, span 16
    uint64_t value;
  };
  for (Case bad : {Case{8, span}, Case{8, 3 * page}, Case{8, 0}, Case{8, span + page}, Case{16, span * 2},
                   Case{16, page}, Case{0, 0}}) {
    WriteWord(fd, bad.offset, bad.value);
    EXPECT_EQ(ReadResizable(fd, span, &size, &seen).CodeName(), "ERR_MAP_CORRUPT") << bad.offset << "=" << bad.value;
    EXPECT_EQ(GrowResizable(fd, 4 * page, span, &now).CodeName(), "ERR_MAP_CORRUPT") << bad.offset << "=" << bad.value;
    // Its first reading (an import) has no span to compare: the file still tells.
    if (bad.offset == 8) {
      EXPECT_EQ(ReadResizable(fd, 0, &size, &seen).CodeName(), "ERR_MAP_CORRUPT") << bad.value;
    }
    ASSERT_TRUE(InitResizable(fd, 2 * page, span).ok());  // an honest header again
  }
  ASSERT_TRUE(ReadResizable(fd, span, &size, &seen).ok());
  EXPECT_EQ(size, 2 * page);
  close(fd);
}

// Tests that processes growing at once never lose one another's growth:
// the size only ever rises, and ends at the largest any asked for. They
// share one open file description, as the processes of a map do (a
// descriptor passed by SCM_RIGHTS is the same description), which a lock
// on the descriptor itself would not tell apart.
TEST(Resizable, ConcurrentGrowersAgree) {
  const uint64_t page = PageSize();
  int fd = NewMemfd();
  ASSERT_TRUE(InitResizable(fd, page, 2048 * page).ok());
  constexpr int kChildren = 4;
  constexpr uint64_t kRounds = 3000;
  for (int child = 0; child < kChildren; child++) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      uint64_t now = 0, size = 0, span = 0;
      for (uint64_t n = 1; n <= kRounds; n++) {
        const uint64_t wanted = (n * kChildren + child) * page / 8;
        if (!GrowResizable(fd, wanted, 2048 * page, &now).ok() || now < wanted) _exit(1);
        if (!ReadResizable(fd, 2048 * page, &size, &span).ok() || size < wanted) _exit(2);  // a growth was lost
      }
      _exit(0);
    }
  }
  for (int child = 0; child < kChildren; child++) {
    int status = 0;
    wait(&status);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child exit status " << WEXITSTATUS(status);
  }
  uint64_t size = 0, span = 0;
  ASSERT_TRUE(ReadResizable(fd, 0, &size, &span).ok());
  EXPECT_EQ(size, (kRounds * kChildren + kChildren - 1) * page / 8);
  EXPECT_EQ(FileSize(fd), static_cast<off_t>(ResizableDataOffset() + size));
  close(fd);
}

}  // namespace
}  // namespace eshm
