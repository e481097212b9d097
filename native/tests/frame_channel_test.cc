#include "core/frame_channel.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "core/mapping.h"
#include "core/unique_fd.h"

namespace eshm {
namespace frames {
namespace {

// A channel in shared anonymous memory (inherited by fork), with its
// eventfds, as the binding sets one up over a memfd.
class TestChannel {
 public:
  TestChannel(Policy policy, uint32_t slots, uint32_t endpoints = 4) {
    geometry_.width = 16;
    geometry_.height = 16;
    geometry_.policy = policy;
    geometry_.slots = slots;
    geometry_.endpoints = endpoints;
    geometry_.frame_size = 16 * 16 * 4;
    geometry_.slot_size = RoundUpToPage(geometry_.frame_size + kMetaBytes);
    geometry_.slots_offset = HeaderBytes();
    size_ = geometry_.slots_offset + geometry_.slot_size * slots;
    base_ = static_cast<uint8_t*>(mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    header_ = reinterpret_cast<Header*>(base_);
    Channel::Init(header_, geometry_);
    std::vector<int> fds;
    for (uint32_t e = 0; e < endpoints; ++e) {
      wake_.emplace_back(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
      fds.push_back(wake_.back().get());
    }
    channel_ = std::make_unique<Channel>(header_, fds);
  }
  ~TestChannel() { munmap(base_, size_); }

  Channel& operator*() { return *channel_; }
  Channel* operator->() { return channel_.get(); }
  Header* header() { return header_; }
  uint64_t size() const { return size_; }
  uint8_t* pixels(uint32_t slot) { return base_ + geometry_.slots_offset + slot * geometry_.slot_size; }
  // How many wakes the endpoint's eventfd holds; reading clears them.
  uint64_t TakeWakes(uint32_t endpoint) {
    uint64_t count = 0;
    return read(wake_[endpoint].get(), &count, sizeof count) == sizeof count ? count : 0;
  }

 private:
  Geometry geometry_;
  uint64_t size_ = 0;
  uint8_t* base_ = nullptr;
  Header* header_ = nullptr;
  std::vector<UniqueFd> wake_;
  std::unique_ptr<Channel> channel_;
};

void Publish(Channel& channel, uint64_t* seq = nullptr) {
  Loan loan;
  ASSERT_TRUE(channel.LoanSlot(&loan).ok());
  channel.Send(loan, 1000 + loan.seq);
  if (seq != nullptr) *seq = loan.seq;
}

// Tests that an importer's check accepts a channel and refuses other memory.
TEST(FrameChannel, CheckAcceptsAChannelAndRefusesOtherMemory) {
  TestChannel ch(kLatest, 3);
  EXPECT_TRUE(Channel::Check(ch.header(), ch.size(), 4).ok());
  EXPECT_STREQ(Channel::Check(ch.header(), ch.size(), 3).code, "ERR_HANDLE_INVALID");
  EXPECT_STREQ(Channel::Check(ch.header(), ch.size() - 1, 4).code, "ERR_HANDLE_INVALID");
  std::vector<uint8_t> zeros(HeaderBytes());
  EXPECT_STREQ(Channel::Check(reinterpret_cast<Header*>(zeros.data()), zeros.size(), 4).code, "ERR_HANDLE_INVALID");
}

// Tests that a latest subscriber gets the newest frame only, once, and that
// a leased slot is never loaned until released.
TEST(FrameChannel, LatestGivesTheNewestFrameAndRespectsLeases) {
  TestChannel ch(kLatest, 3);
  uint32_t e = 0, sub = 0;
  ASSERT_TRUE(ch->ClaimEndpoint(&e).ok());
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  ASSERT_TRUE(ch->AddSubscriber(e, &sub).ok());
  ReceivedFrame f;
  EXPECT_FALSE(ch->Receive(sub, &f)) << "nothing published yet";
  uint64_t seq = 0;
  for (int i = 0; i < 3; ++i) Publish(*ch, &seq);
  ASSERT_TRUE(ch->Receive(sub, &f));
  EXPECT_EQ(f.seq, 3u);
  EXPECT_EQ(f.timestamp, 1003u);
  ReceivedFrame again;
  EXPECT_FALSE(ch->Receive(sub, &again)) << "the same frame is not received twice";

  // Three slots: the held one and the newest are off limits, so frames
  // keep flowing through the third.
  for (int i = 0; i < 5; ++i) {
    Loan loan;
    ASSERT_TRUE(ch->LoanSlot(&loan).ok());
    EXPECT_NE(loan.slot, f.slot);
    ch->Send(loan, 0);
  }
  ReceivedFrame second;
  ASSERT_TRUE(ch->Receive(sub, &second));
  EXPECT_EQ(second.seq, 8u);
  Loan loan;
  Publish(*ch);  // into the one slot neither held nor newest
  EXPECT_STREQ(ch->LoanSlot(&loan).code, "ERR_NO_FREE_SLOT") << "two held, the third the newest";
  ch->ReleaseLease(sub, f.slot);
  ASSERT_TRUE(ch->LoanSlot(&loan).ok());
  EXPECT_EQ(loan.slot, f.slot);
  ch->Abandon(loan);
}

// Tests that a queue subscriber gets every frame in order and that the
// publisher is refused a slot when the subscriber is behind by all slots.
TEST(FrameChannel, QueueGivesEveryFrameInOrderAndHoldsThePublisherBack) {
  TestChannel ch(kQueue, 4);
  uint32_t e = 0, sub = 0;
  ASSERT_TRUE(ch->ClaimEndpoint(&e).ok());
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  Publish(*ch);  // before the subscriber: not for it
  ASSERT_TRUE(ch->AddSubscriber(e, &sub).ok());
  for (int i = 0; i < 4; ++i) Publish(*ch);
  Loan loan;
  EXPECT_STREQ(ch->LoanSlot(&loan).code, "ERR_NO_FREE_SLOT");
  for (uint64_t want = 2; want <= 5; ++want) {
    ReceivedFrame f;
    ASSERT_TRUE(ch->Receive(sub, &f));
    EXPECT_EQ(f.seq, want);
    EXPECT_EQ(f.skipped, 0u);
    if (want == 2) {
      EXPECT_STREQ(ch->LoanSlot(&loan).code, "ERR_NO_FREE_SLOT") << "received but still leased";
    }
    ch->ReleaseLease(sub, f.slot);
  }
  ReceivedFrame none;
  EXPECT_FALSE(ch->Receive(sub, &none));
  ASSERT_TRUE(ch->LoanSlot(&loan).ok());
  EXPECT_EQ(loan.seq, 6u);
}

// Tests that one publisher at a time may hold a channel.
TEST(FrameChannel, OnePublisherAtATime) {
  TestChannel ch(kLatest, 2);
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  EXPECT_STREQ(ch->ClaimPublisher().code, "ERR_PUBLISHER_EXISTS");
  EXPECT_EQ(ch->Publisher().epoch, 1u);
  ch->ReleasePublisher();
  PublisherInfo info = ch->Publisher();
  EXPECT_EQ(info.identity, 0u);
  EXPECT_TRUE(info.closed);
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  EXPECT_EQ(ch->Publisher().epoch, 2u);
}

// Tests that a wake costs a write only when an endpoint armed for it, and
// one write however many frames follow before it arms again.
TEST(FrameChannel, WakesOnlyArmedEndpointsOnce) {
  TestChannel ch(kLatest, 3);
  uint32_t e = 0;
  ASSERT_TRUE(ch->ClaimEndpoint(&e).ok());
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  Publish(*ch);
  EXPECT_EQ(ch.TakeWakes(e), 0u) << "nobody waited";
  ch->Arm(e, kWantFrames);
  Publish(*ch);
  Publish(*ch);
  EXPECT_EQ(ch.TakeWakes(e), 1u);
  ch->Arm(e, kWantFrames);
  ch->Disarm(e, kWantFrames);
  Publish(*ch);
  EXPECT_EQ(ch.TakeWakes(e), 0u);
}

// Runs `body` in a forked child that ends without any cleanup, as a process
// killed with SIGKILL does, and waits for it.
template <typename Body>
void InChildThatDies(Body body) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// Tests that the leases of a subscriber whose process died are reclaimed
// when the publisher needs the slots.
TEST(FrameChannel, ReclaimsTheLeasesOfADeadSubscriberProcess) {
  TestChannel ch(kQueue, 2);
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  InChildThatDies([&] {
    uint32_t e = 0, sub = 0;
    if (!ch->ClaimEndpoint(&e).ok() || !ch->AddSubscriber(e, &sub).ok()) _exit(1);
  });
  Publish(*ch);
  Publish(*ch);
  InChildThatDies([&] {
    ReceivedFrame f;
    if (!ch->Receive(0, &f)) _exit(2);  // holds the lease when it dies
  });
  // Both slots unreleased or unread by the dead process: reclaimed.
  Loan loan;
  ASSERT_TRUE(ch->LoanSlot(&loan).ok());
  EXPECT_EQ(loan.seq, 3u);
  EXPECT_EQ(ch->ReclaimDead(), 0u) << "already reclaimed";
}

// Tests that a dead publisher is replaced and is reported as not closed.
TEST(FrameChannel, ADeadPublisherCanBeReplaced) {
  TestChannel ch(kLatest, 2);
  InChildThatDies([&] {
    if (!ch->ClaimPublisher().ok()) _exit(1);
  });
  PublisherInfo info = ch->Publisher();
  EXPECT_NE(info.identity, 0u);
  EXPECT_FALSE(IsAlive(info.identity));
  EXPECT_FALSE(info.closed);
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  EXPECT_EQ(ch->Publisher().identity, SelfIdentity());
}

// Tests, with a publisher and a subscriber in two processes racing, that a
// received frame is always whole: every byte of it carries its sequence.
TEST(FrameChannel, FramesAreNeverSeenHalfWrittenAcrossProcesses) {
  for (Policy policy : {kLatest, kQueue}) {
    TestChannel ch(policy, 3);
    uint32_t e = 0, sub = 0;
    ASSERT_TRUE(ch->ClaimEndpoint(&e).ok());
    ASSERT_TRUE(ch->AddSubscriber(e, &sub).ok());
    constexpr uint64_t kFrames = 20000;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      uint32_t pe = 0;
      if (!ch->ClaimEndpoint(&pe).ok() || !ch->ClaimPublisher().ok()) _exit(1);
      for (uint64_t n = 0; n < kFrames;) {
        Loan loan;
        if (!ch->LoanSlot(&loan).ok()) continue;  // queue: the subscriber is behind
        std::memset(ch.pixels(loan.slot), static_cast<int>(loan.seq & 0xff), 16 * 16 * 4);
        ch->Send(loan, loan.seq);
        ++n;
      }
      ch->ReleasePublisher();
      _exit(0);
    }
    uint64_t last = 0, received = 0;
    while (last < kFrames) {
      ReceivedFrame f;
      if (!ch->Receive(sub, &f)) continue;
      const uint8_t* p = ch.pixels(f.slot);
      for (int i = 0; i < 16 * 16 * 4; ++i) ASSERT_EQ(p[i], f.seq & 0xff) << "byte " << i << " of frame " << f.seq;
      ASSERT_GT(f.seq, last);
      if (policy == kQueue) {
        ASSERT_EQ(f.seq, last + 1);
      }
      last = f.seq;
      ++received;
      ch->ReleaseLease(sub, f.slot);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (policy == kQueue) {
      EXPECT_EQ(received, kFrames);
    }
  }
}

}  // namespace
}  // namespace frames
}  // namespace eshm
