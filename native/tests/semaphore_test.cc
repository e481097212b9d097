#include "core/semaphore.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

namespace eshm {
namespace {

bool Take(int fd) {
  bool taken = false;
  EXPECT_TRUE(TryTakeSemaphore(fd, &taken).ok());
  return taken;
}

// Tests that posts add to the count and takes remove one each, never waiting.
TEST(Semaphore, CountsPostsAndTakes) {
  UniqueFd fd;
  ASSERT_TRUE(CreateSemaphore(2, &fd).ok());
  EXPECT_TRUE(CheckSemaphore(fd.get()).ok());
  EXPECT_TRUE(Take(fd.get()));
  EXPECT_TRUE(Take(fd.get()));
  EXPECT_FALSE(Take(fd.get()));
  ASSERT_TRUE(PostSemaphore(fd.get(), 3).ok());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Take(fd.get()));
  EXPECT_FALSE(Take(fd.get()));
}

// Tests that a post that would pass the ceiling is EOVERFLOW and adds nothing.
TEST(Semaphore, RefusesAPostPastTheCeiling) {
  UniqueFd fd;
  ASSERT_TRUE(CreateSemaphore(0, &fd).ok());
  ASSERT_TRUE(PostSemaphore(fd.get(), kMaxSemaphoreCount - 1).ok());
  EXPECT_EQ(PostSemaphore(fd.get(), 2).CodeName(), "EOVERFLOW");
  ASSERT_TRUE(PostSemaphore(fd.get(), 1).ok());
  EXPECT_EQ(PostSemaphore(fd.get(), 1).CodeName(), "EOVERFLOW");
  EXPECT_TRUE(Take(fd.get()));
}

// Tests that a take of an empty semaphore whose description a peer made
// blocking returns at once, and a post makes it non-blocking again.
TEST(Semaphore, NeverWaitsWhenAPeerClearsNonBlocking) {
  UniqueFd fd;
  ASSERT_TRUE(CreateSemaphore(0, &fd).ok());
  ASSERT_EQ(fcntl(fd.get(), F_SETFL, 0), 0);
  alarm(5);  // a take that waited would end the test here
  EXPECT_FALSE(Take(fd.get()));
  alarm(0);
  ASSERT_TRUE(PostSemaphore(fd.get(), 1).ok());
  EXPECT_NE(fcntl(fd.get(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_TRUE(Take(fd.get()));
}

// Tests that what a peer may send in place of a semaphore is refused.
TEST(Semaphore, RefusesWhatIsNotASemaphore) {
  UniqueFd memfd(memfd_create("eshm-test-semaphore", MFD_CLOEXEC));
  ASSERT_TRUE(memfd.valid());
  EXPECT_EQ(CheckSemaphore(memfd.get()).CodeName(), "ERR_HANDLE_INVALID");
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  EXPECT_EQ(CheckSemaphore(read_end.get()).CodeName(), "ERR_HANDLE_INVALID");
  // An eventfd whose reads would take the whole count, where the kernel says
  // which mode it is in (fdinfo's eventfd-semaphore, Linux 6.6 and later).
  UniqueFd counter(eventfd(0, EFD_CLOEXEC));
  ASSERT_TRUE(counter.valid());
  std::ifstream info("/proc/self/fdinfo/" + std::to_string(counter.get()));
  std::string text((std::istreambuf_iterator<char>(info)), std::istreambuf_iterator<char>());
  Status s = CheckSemaphore(counter.get());
  if (text.find("eventfd-semaphore:") != std::string::npos) {
    EXPECT_EQ(s.CodeName(), "ERR_HANDLE_INVALID");
  } else {
    EXPECT_TRUE(s.ok()) << s.Message();
  }
  EXPECT_EQ(CheckSemaphore(-1).CodeName(), "ENOENT");
}

}  // namespace
}  // namespace eshm
