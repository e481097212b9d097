#include "core/ready_set.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "core/process_identity.h"
#include "core/semaphore.h"
#include "core/wake_socket.h"

namespace eshm {
namespace {

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

std::vector<uint32_t> Sorted(std::vector<uint32_t> tokens) {
  std::sort(tokens.begin(), tokens.end());
  return tokens;
}

class ReadySetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(set_.Open().ok());
    ASSERT_TRUE(CreateWakePair(&receive_, &send_).ok());
  }

  ReadySet set_;
  UniqueFd receive_, send_;
};

// Tests that a wake socket's token is reported at each wake, its socket
// emptied each time, and that the set's own descriptor is readable exactly
// while a member is ready.
TEST_F(ReadySetTest, ReportsAWakeSocketAtEachWakeAndDrainsIt) {
  ASSERT_TRUE(set_.Add(receive_.get(), 7, ReadyMode::kDrain).ok());
  EXPECT_FALSE(Readable(set_.fd()));
  EXPECT_TRUE(set_.TakeReady().empty());
  for (int round = 0; round < 3; ++round) {
    SendWake(send_.get());
    SendWake(send_.get());
    EXPECT_TRUE(Readable(set_.fd()));
    EXPECT_EQ(set_.TakeReady(), std::vector<uint32_t>{7});
    EXPECT_FALSE(Readable(receive_.get()));
    EXPECT_FALSE(Readable(set_.fd()));
    EXPECT_TRUE(set_.TakeReady().empty());
  }
}

// Tests that a member added once is reported once, and again only after it
// is added again, its data left for the caller to read.
TEST_F(ReadySetTest, ReportsAOnceMemberOnceUntilAddedAgain) {
  UniqueFd semaphore;
  ASSERT_TRUE(CreateSemaphore(1, &semaphore).ok());
  ASSERT_TRUE(set_.Add(semaphore.get(), 3, ReadyMode::kOnce).ok());
  EXPECT_EQ(set_.TakeReady(), std::vector<uint32_t>{3});
  EXPECT_TRUE(set_.TakeReady().empty());
  EXPECT_TRUE(Readable(semaphore.get()));
  ASSERT_TRUE(set_.Add(semaphore.get(), 4, ReadyMode::kOnce).ok());
  EXPECT_EQ(set_.TakeReady(), std::vector<uint32_t>{4});
}

// Tests that adding a member again changes its token, and that several
// ready members are all reported.
TEST_F(ReadySetTest, ChangesATokenAndReportsEveryReadyMember) {
  UniqueFd receive2, send2;
  ASSERT_TRUE(CreateWakePair(&receive2, &send2).ok());
  ASSERT_TRUE(set_.Add(receive_.get(), 1, ReadyMode::kDrain).ok());
  ASSERT_TRUE(set_.Add(receive2.get(), 2, ReadyMode::kDrain).ok());
  ASSERT_TRUE(set_.Add(receive_.get(), 5, ReadyMode::kDrain).ok());
  SendWake(send_.get());
  SendWake(send2.get());
  EXPECT_EQ(Sorted(set_.TakeReady()), (std::vector<uint32_t>{2, 5}));
}

// Tests that a removed member is not reported, and that removing what is no
// member does nothing.
TEST_F(ReadySetTest, ForgetsARemovedMember) {
  ASSERT_TRUE(set_.Add(receive_.get(), 1, ReadyMode::kDrain).ok());
  set_.Remove(receive_.get());
  set_.Remove(receive_.get());
  set_.Remove(12345);
  SendWake(send_.get());
  EXPECT_FALSE(Readable(set_.fd()));
  EXPECT_TRUE(set_.TakeReady().empty());
  EXPECT_TRUE(Readable(receive_.get())) << "the wake is left in the socket";
  // A member again after its removal, with its new token.
  ASSERT_TRUE(set_.Add(receive_.get(), 9, ReadyMode::kDrain).ok());
  EXPECT_EQ(set_.TakeReady(), std::vector<uint32_t>{9});
}

// Tests that a descriptor epoll cannot watch is refused with the error of
// epoll_ctl, and nothing is added.
TEST_F(ReadySetTest, RefusesWhatItCannotWatch) {
  Status s = set_.Add(-1, 1, ReadyMode::kDrain);
  EXPECT_EQ(s.CodeName(), "EBADF");
  EXPECT_STREQ(s.syscall, "epoll_ctl");
  // A pipe's end that was closed: its number is free, so also EBADF.
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  EXPECT_EQ(set_.Add(pipe_fds[0], 1, ReadyMode::kOnce).CodeName(), "EBADF");
  EXPECT_TRUE(set_.TakeReady().empty());
}

// Tests that a child's pidfd, watched once, is reported when the child
// exits, and not before.
TEST_F(ReadySetTest, ReportsAPidfdWhenItsProcessExits) {
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char byte;
    close(go[1]);
    _exit(read(go[0], &byte, 1) == 0 ? 0 : 1);
  }
  close(go[0]);
  UniqueFd pidfd;
  ProcessIdentity identity = 0;
  for (int i = 0; i < 1000 && identity == 0; ++i) identity = IdentityOf(child);
  ASSERT_NE(identity, 0u);
  ASSERT_TRUE(OpenPidfd(identity, &pidfd).ok());
  ASSERT_TRUE(set_.Add(pidfd.get(), 11, ReadyMode::kOnce).ok());
  EXPECT_TRUE(set_.TakeReady().empty());
  EXPECT_FALSE(HasExited(pidfd.get()));
  close(go[1]);  // the child reads end of file and exits
  pollfd p{set_.fd(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1);
  EXPECT_EQ(set_.TakeReady(), std::vector<uint32_t>{11});
  EXPECT_TRUE(HasExited(pidfd.get()));
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// Tests that a closed set reports nothing, refuses members and has no
// descriptor.
TEST_F(ReadySetTest, IsEmptyOnceClosed) {
  ASSERT_TRUE(set_.Add(receive_.get(), 1, ReadyMode::kDrain).ok());
  SendWake(send_.get());
  set_.Close();
  EXPECT_FALSE(set_.is_open());
  EXPECT_EQ(set_.fd(), -1);
  EXPECT_TRUE(set_.TakeReady().empty());
  set_.Remove(receive_.get());
  EXPECT_EQ(set_.Add(receive_.get(), 1, ReadyMode::kDrain).CodeName(), "EBADF");
}

}  // namespace
}  // namespace eshm
