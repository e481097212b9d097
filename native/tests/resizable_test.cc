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
  ASSERT_TRUE(ReadResizable(fd, &size, &span).ok());
  EXPECT_EQ(size, page);
  EXPECT_EQ(span, 8 * page);
  EXPECT_EQ(FileSize(fd), static_cast<off_t>(ResizableDataOffset() + page));

  uint64_t now = 0;
  ASSERT_TRUE(GrowResizable(fd, 4 * page, &now).ok());
  EXPECT_EQ(now, 4 * page);
  EXPECT_EQ(FileSize(fd), static_cast<off_t>(ResizableDataOffset() + 4 * page));
  ASSERT_TRUE(GrowResizable(fd, 2 * page, &now).ok());
  EXPECT_EQ(now, 4 * page);
  EXPECT_EQ(GrowResizable(fd, 9 * page, &now).CodeName(), "ERR_SPAN_EXCEEDED");
  ASSERT_TRUE(ReadResizable(fd, &size, &span).ok());
  EXPECT_EQ(size, 4 * page);
  close(fd);
}

// Tests that memory without a header is refused.
TEST(Resizable, RefusesMemoryWithoutHeader) {
  int fd = NewMemfd();
  ASSERT_EQ(ftruncate(fd, 3 * PageSize()), 0);
  uint64_t size = 0, span = 0, now = 0;
  EXPECT_EQ(ReadResizable(fd, &size, &span).CodeName(), "ERR_NOT_RESIZABLE");
  EXPECT_EQ(GrowResizable(fd, PageSize(), &now).CodeName(), "ERR_NOT_RESIZABLE");
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
        if (!GrowResizable(fd, wanted, &now).ok() || now < wanted) _exit(1);
        if (!ReadResizable(fd, &size, &span).ok() || size < wanted) _exit(2);  // a growth was lost
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
  ASSERT_TRUE(ReadResizable(fd, &size, &span).ok());
  EXPECT_EQ(size, (kRounds * kChildren + kChildren - 1) * page / 8);
  EXPECT_EQ(FileSize(fd), static_cast<off_t>(ResizableDataOffset() + size));
  close(fd);
}

}  // namespace
}  // namespace eshm
