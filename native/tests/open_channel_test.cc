#include "core/open_channel.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "core/mapping.h"
#include "core/shared_file.h"
#include "core/wake_socket.h"

namespace eshm {
namespace frames {
namespace {

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

bool Holds(const std::vector<int>& fds, int fd) { return std::find(fds.begin(), fds.end(), fd) != fds.end(); }

// A channel created over a memfd, as FrameChannel.create makes one, and
// imports of it, as other processes make them, with copies of its wake
// descriptors.
class OpenChannelTest : public ::testing::Test {
 protected:
  void Make(uint32_t endpoints) {
    geometry_.width = 16;
    geometry_.height = 16;
    geometry_.slots = 2;
    geometry_.endpoints = endpoints;
    geometry_.frame_size = 16 * 16 * 4;
    geometry_.slot_size = RoundUpToPage(geometry_.frame_size + kMetaBytes);
    geometry_.slots_offset = HeaderBytes();
    size_ = geometry_.slots_offset + geometry_.slot_size * geometry_.slots;
    ASSERT_TRUE(CreateAnonymousFile(size_, "/dev/shm", true, &memory_).ok());
    Status s = OpenChannel::Create(memory_.get(), geometry_, size_, &created_);
    ASSERT_TRUE(s.ok()) << s.Message();
  }

  std::vector<UniqueFd> CopiesOfWakeFds() const {
    std::vector<UniqueFd> copies;
    for (int fd : created_->WakeFds()) copies.emplace_back(fcntl(fd, F_DUPFD_CLOEXEC, 0));
    return copies;
  }

  std::unique_ptr<OpenChannel> Import() {
    std::unique_ptr<OpenChannel> imported;
    Status s = OpenChannel::Import(memory_.get(), CopiesOfWakeFds(), size_, &imported);
    EXPECT_TRUE(s.ok()) << s.Message();
    return imported;
  }

  PublisherState StateOf(OpenChannel& open, bool watch, PublisherWatch* change) {
    PublisherState state = PublisherState::kNone;
    Status s = open.Publisher(watch, &state, change);
    EXPECT_TRUE(s.ok()) << s.Message();
    return state;
  }

  // Forks a child that imports the channel, claims its publisher role and
  // holds it until `release` reads end of file, then exits without giving
  // it up, as a process that crashes. Returns once the role is claimed.
  pid_t ForkPublisher(int release[2]) {
    EXPECT_EQ(pipe(release), 0);
    int claimed[2];
    EXPECT_EQ(pipe(claimed), 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(release[1]);
      std::unique_ptr<OpenChannel> own;
      if (!OpenChannel::Import(memory_.get(), CopiesOfWakeFds(), size_, &own).ok()) _exit(1);
      if (!own->channel().ClaimPublisher().ok()) _exit(2);
      char byte = 0;
      if (write(claimed[1], "c", 1) != 1 || read(release[0], &byte, 1) != 0) _exit(3);
      _exit(0);
    }
    close(release[0]);
    close(claimed[1]);
    char byte = 0;
    EXPECT_EQ(read(claimed[0], &byte, 1), 1);
    close(claimed[0]);
    return pid;
  }

  static void EndPublisher(pid_t pid, int release[2]) {
    close(release[1]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }

  Geometry geometry_;
  uint64_t size_ = 0;
  UniqueFd memory_;
  std::unique_ptr<OpenChannel> created_;
};

// Tests that an import of a created channel shares its protocol: what one
// side's publisher sends wakes the other side's endpoint through the wake
// socket Join handed out.
TEST_F(OpenChannelTest, AnImportSharesTheCreatorsProtocolAndWakes) {
  Make(4);
  EXPECT_EQ(created_->WakeFds().size(), 8u);
  std::unique_ptr<OpenChannel> imported = Import();
  ASSERT_NE(imported, nullptr);
  EXPECT_EQ(imported->channel().geometry().slot_size, geometry_.slot_size);
  int created_wake = -1, imported_wake = -1;
  ASSERT_TRUE(created_->Join(&created_wake).ok());
  ASSERT_TRUE(imported->Join(&imported_wake).ok());
  EXPECT_TRUE(Holds(created_->WakeFds(), created_wake));
  EXPECT_TRUE(Holds(imported->WakeFds(), imported_wake));
  uint32_t subscriber = 0;
  ASSERT_TRUE(imported->channel().AddSubscriber(&subscriber).ok());
  ASSERT_TRUE(imported->channel().Arm(kWantFrames).ok());
  ASSERT_TRUE(created_->channel().ClaimPublisher().ok());
  Loan loan;
  ASSERT_TRUE(created_->channel().LoanSlot(&loan).ok());
  ASSERT_TRUE(created_->channel().Send(loan, 1).ok());
  EXPECT_TRUE(Readable(imported_wake));
  EXPECT_FALSE(Readable(created_wake)) << "it did not arm";
  ReceivedFrame frame;
  bool got = false;
  ASSERT_TRUE(imported->channel().Receive(subscriber, &frame, &got).ok());
  EXPECT_TRUE(got);
}

// Tests that an import is refused with ERR_HANDLE_INVALID when the memory
// cannot hold a header or the descriptors that came with it are not the
// channel's wake sockets.
TEST_F(OpenChannelTest, RefusesWhatIsNotAChannel) {
  Make(2);
  std::unique_ptr<OpenChannel> refused;
  EXPECT_STREQ(OpenChannel::Import(memory_.get(), CopiesOfWakeFds(), HeaderBytes() - 1, &refused).code,
               "ERR_HANDLE_INVALID");
  std::vector<UniqueFd> odd = CopiesOfWakeFds();
  odd.pop_back();
  EXPECT_STREQ(OpenChannel::Import(memory_.get(), std::move(odd), size_, &refused).code, "ERR_HANDLE_INVALID");
  std::vector<UniqueFd> fewer = CopiesOfWakeFds();
  fewer.resize(2);
  EXPECT_STREQ(OpenChannel::Import(memory_.get(), std::move(fewer), size_, &refused).code, "ERR_HANDLE_INVALID");
  std::vector<UniqueFd> not_sockets = CopiesOfWakeFds();
  not_sockets[1].reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_STREQ(OpenChannel::Import(memory_.get(), std::move(not_sockets), size_, &refused).code,
               "ERR_HANDLE_INVALID");
  UniqueFd zeros;
  ASSERT_TRUE(CreateAnonymousFile(size_, "/dev/shm", true, &zeros).ok());
  EXPECT_STREQ(OpenChannel::Import(zeros.get(), CopiesOfWakeFds(), size_, &refused).code, "ERR_HANDLE_INVALID");
  EXPECT_EQ(refused, nullptr);
}

// Tests that Join takes an endpoint once, Leave gives it back, and
// WatchedFds lists the wake socket Join handed out while it is held.
TEST_F(OpenChannelTest, JoinsOnceAndLeaves) {
  Make(1);
  std::unique_ptr<OpenChannel> imported = Import();
  int wake = -1, other = -1;
  EXPECT_TRUE(created_->WatchedFds().empty());
  ASSERT_TRUE(created_->Join(&wake).ok());
  EXPECT_TRUE(created_->joined());
  EXPECT_EQ(created_->WatchedFds(), std::vector<int>{wake});
  EXPECT_STREQ(imported->Join(&other).code, "ERR_CHANNEL_FULL");
  created_->Leave();
  EXPECT_FALSE(created_->joined());
  EXPECT_TRUE(created_->WatchedFds().empty());
  EXPECT_TRUE(imported->Join(&other).ok());
}

// Tests that this process's own publisher is none, then alive, then closed,
// with nothing to watch.
TEST_F(OpenChannelTest, ReportsItsOwnPublisher) {
  Make(2);
  PublisherWatch change;
  EXPECT_EQ(StateOf(*created_, true, &change), PublisherState::kNone);
  ASSERT_TRUE(created_->channel().ClaimPublisher().ok());
  EXPECT_EQ(StateOf(*created_, true, &change), PublisherState::kAlive);
  created_->channel().ReleasePublisher();
  EXPECT_EQ(StateOf(*created_, true, &change), PublisherState::kClosed);
  EXPECT_EQ(change.started, -1);
  EXPECT_FALSE(change.retired.valid());
}

// Tests that destroying an open channel gives up its endpoint and its
// publisher role, which then reads as closed.
TEST_F(OpenChannelTest, GivesEverythingBackWhenDestroyed) {
  Make(1);
  std::unique_ptr<OpenChannel> imported = Import();
  int wake = -1;
  ASSERT_TRUE(imported->Join(&wake).ok());
  ASSERT_TRUE(imported->channel().ClaimPublisher().ok());
  imported.reset();
  PublisherWatch change;
  EXPECT_EQ(StateOf(*created_, false, &change), PublisherState::kClosed);
  EXPECT_TRUE(created_->Join(&wake).ok());
}

// Tests that another process's publisher is watched through a pidfd that
// turns readable when it dies, then reads as crashed; that a later
// publisher's watch retires the former one's; and that a watch the caller
// could not use is dropped.
TEST_F(OpenChannelTest, WatchesAnotherProcesssPublisher) {
  Make(4);
  int release[2];
  pid_t first = ForkPublisher(release);
  PublisherWatch unwatched;
  EXPECT_EQ(StateOf(*created_, false, &unwatched), PublisherState::kAlive);
  EXPECT_EQ(unwatched.started, -1);
  PublisherWatch watch;
  EXPECT_EQ(StateOf(*created_, true, &watch), PublisherState::kAlive);
  ASSERT_GE(watch.started, 0);
  EXPECT_FALSE(watch.retired.valid());
  EXPECT_EQ(created_->WatchedFds(), std::vector<int>{watch.started});
  PublisherWatch again;
  EXPECT_EQ(StateOf(*created_, true, &again), PublisherState::kAlive);
  EXPECT_EQ(again.started, -1) << "watched already";
  EndPublisher(first, release);
  EXPECT_TRUE(Readable(watch.started));
  EXPECT_EQ(StateOf(*created_, true, &again), PublisherState::kCrashed);

  pid_t second = ForkPublisher(release);
  PublisherWatch next;
  EXPECT_EQ(StateOf(*created_, true, &next), PublisherState::kAlive);
  EXPECT_EQ(next.retired.get(), watch.started);
  ASSERT_GE(next.started, 0);
  EXPECT_EQ(created_->WatchedFds(), std::vector<int>{next.started});
  created_->StopWatchingPublisher();
  EXPECT_TRUE(created_->WatchedFds().empty());
  EndPublisher(second, release);
  EXPECT_EQ(StateOf(*created_, false, &again), PublisherState::kCrashed);
}

}  // namespace
}  // namespace frames
}  // namespace eshm
