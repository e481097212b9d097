#include "core/frame_channel.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/mapping.h"
#include "core/unique_fd.h"
#include "core/wake_socket.h"

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
    for (uint32_t e = 0; e < endpoints; ++e) {
      receive_.emplace_back();
      wake_.emplace_back();
      EXPECT_TRUE(CreateWakePair(&receive_.back(), &wake_.back()).ok());
    }
    channel_ = Another();
  }

  // Another Channel object over the same memory, as another process (or a
  // forked child) has.
  std::unique_ptr<Channel> Another() {
    std::vector<int> fds;
    for (const UniqueFd& w : wake_) fds.push_back(w.get());
    return std::make_unique<Channel>(header_, geometry_, fds);
  }
  ~TestChannel() { munmap(base_, size_); }

  Channel& operator*() { return *channel_; }
  Channel* operator->() { return channel_.get(); }
  Header* header() { return header_; }
  const Geometry& geometry() const { return geometry_; }
  uint64_t size() const { return size_; }
  uint8_t* pixels(uint32_t slot) { return base_ + geometry_.slots_offset + slot * geometry_.slot_size; }
  // How many wakes the endpoint's socket holds; reading clears them.
  int send_fd(uint32_t endpoint) const { return wake_[endpoint].get(); }
  int receive_fd(uint32_t endpoint) const { return receive_[endpoint].get(); }
  uint64_t TakeWakes(uint32_t endpoint) {
    uint64_t count = 0;
    char byte = 0;
    while (recv(receive_[endpoint].get(), &byte, 1, MSG_DONTWAIT) == 1) ++count;
    return count;
  }

 private:
  Geometry geometry_;
  uint64_t size_ = 0;
  uint8_t* base_ = nullptr;
  Header* header_ = nullptr;
  std::vector<UniqueFd> receive_, wake_;
  std::unique_ptr<Channel> channel_;
};

void Publish(Channel& channel, uint64_t* seq = nullptr) {
  Loan loan;
  ASSERT_TRUE(channel.LoanSlot(&loan).ok());
  ASSERT_TRUE(channel.Send(loan, 1000 + loan.seq).ok());
  if (seq != nullptr) *seq = loan.seq;
}

// The next frame, or false when there is none; fails the test on an error.
bool Take(Channel& channel, uint32_t subscriber, ReceivedFrame* f) {
  bool got = false;
  Status s = channel.Receive(subscriber, f, &got);
  EXPECT_TRUE(s.ok()) << s.Message();
  return got;
}

// Tests that an importer's check accepts a channel and refuses other memory.
TEST(FrameChannel, ReadGeometryAcceptsAChannelAndRefusesOtherMemory) {
  TestChannel ch(kLatest, 3);
  Geometry g;
  ASSERT_TRUE(ReadGeometry(ch.header(), ch.size(), 4, &g).ok());
  EXPECT_EQ(g.slots, 3u);
  EXPECT_EQ(g.slots_offset, ch.geometry().slots_offset);
  EXPECT_STREQ(ReadGeometry(ch.header(), ch.size(), 3, &g).code, "ERR_HANDLE_INVALID");
  EXPECT_STREQ(ReadGeometry(ch.header(), ch.size() - 1, 4, &g).code, "ERR_HANDLE_INVALID");
  std::vector<uint8_t> zeros(HeaderBytes());
  EXPECT_STREQ(ReadGeometry(reinterpret_cast<Header*>(zeros.data()), zeros.size(), 4, &g).code, "ERR_HANDLE_INVALID");
}

// Tests that a latest subscriber gets the newest frame only, once, and that
// a leased slot is never loaned until released.
TEST(FrameChannel, LatestGivesTheNewestFrameAndRespectsLeases) {
  TestChannel ch(kLatest, 3);
  uint32_t e = 0, sub = 0;
  ASSERT_TRUE(ch->ClaimEndpoint(&e).ok());
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  ASSERT_TRUE(ch->AddSubscriber(&sub).ok());
  ReceivedFrame f;
  EXPECT_FALSE(Take(*ch, sub, &f)) << "nothing published yet";
  uint64_t seq = 0;
  for (int i = 0; i < 3; ++i) Publish(*ch, &seq);
  ASSERT_TRUE(Take(*ch, sub, &f));
  EXPECT_EQ(f.seq, 3u);
  EXPECT_EQ(f.timestamp, 1003u);
  ReceivedFrame again;
  EXPECT_FALSE(Take(*ch, sub, &again)) << "the same frame is not received twice";

  // Three slots: the held one and the newest are off limits, so frames
  // keep flowing through the third.
  for (int i = 0; i < 5; ++i) {
    Loan loan;
    ASSERT_TRUE(ch->LoanSlot(&loan).ok());
    EXPECT_NE(loan.slot, f.slot);
    ASSERT_TRUE(ch->Send(loan, 0).ok());
  }
  ReceivedFrame second;
  ASSERT_TRUE(Take(*ch, sub, &second));
  EXPECT_EQ(second.seq, 8u);
  Loan loan;
  Publish(*ch);  // into the one slot neither held nor newest
  EXPECT_STREQ(ch->LoanSlot(&loan).code, "ERR_NO_FREE_SLOT") << "two held, the third the newest";
  ASSERT_TRUE(ch->ReleaseLease(sub, f.slot).ok());
  ASSERT_TRUE(ch->LoanSlot(&loan).ok());
  EXPECT_EQ(loan.slot, f.slot);
  ASSERT_TRUE(ch->Abandon(loan).ok());
}

// Tests that a queue subscriber gets every frame in order and that the
// publisher is refused a slot when the subscriber is behind by all slots.
TEST(FrameChannel, QueueGivesEveryFrameInOrderAndHoldsThePublisherBack) {
  TestChannel ch(kQueue, 4);
  uint32_t e = 0, sub = 0;
  ASSERT_TRUE(ch->ClaimEndpoint(&e).ok());
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  Publish(*ch);  // before the subscriber: not for it
  ASSERT_TRUE(ch->AddSubscriber(&sub).ok());
  for (int i = 0; i < 4; ++i) Publish(*ch);
  Loan loan;
  EXPECT_STREQ(ch->LoanSlot(&loan).code, "ERR_NO_FREE_SLOT");
  for (uint64_t want = 2; want <= 5; ++want) {
    ReceivedFrame f;
    ASSERT_TRUE(Take(*ch, sub, &f));
    EXPECT_EQ(f.seq, want);
    EXPECT_EQ(f.skipped, 0u);
    if (want == 2) {
      EXPECT_STREQ(ch->LoanSlot(&loan).code, "ERR_NO_FREE_SLOT") << "received but still leased";
    }
    ASSERT_TRUE(ch->ReleaseLease(sub, f.slot).ok());
  }
  ReceivedFrame none;
  EXPECT_FALSE(Take(*ch, sub, &none));
  ASSERT_TRUE(ch->LoanSlot(&loan).ok());
  EXPECT_EQ(loan.seq, 6u);
}

// Tests that one publisher at a time may hold a channel.
TEST(FrameChannel, OnePublisherAtATime) {
  TestChannel ch(kLatest, 2);
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  EXPECT_STREQ(ch->ClaimPublisher().code, "ERR_PUBLISHER_EXISTS");
  EXPECT_STREQ(ch.Another()->ClaimPublisher().code, "ERR_PUBLISHER_EXISTS") << "a second object of this process";
  PublisherInfo info;
  ASSERT_TRUE(ch->Publisher(&info).ok());
  EXPECT_EQ(info.epoch, 1u);
  ch->ReleasePublisher();
  ASSERT_TRUE(ch->Publisher(&info).ok());
  EXPECT_EQ(info.identity, 0u);
  EXPECT_TRUE(info.closed);
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  ASSERT_TRUE(ch->Publisher(&info).ok());
  EXPECT_EQ(info.epoch, 2u);
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
  ASSERT_TRUE(ch->Arm(kWantFrames).ok());
  Publish(*ch);
  Publish(*ch);
  EXPECT_EQ(ch.TakeWakes(e), 1u);
  ASSERT_TRUE(ch->Arm(kWantFrames).ok());
  ASSERT_TRUE(ch->Disarm(kWantFrames).ok());
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
  // The child subscribes, waits for two frames and holds the first when it dies.
  int ready[2], sent[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(sent), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::unique_ptr<Channel> own = ch.Another();
    uint32_t e = 0, sub = 0;
    char c = 0;
    if (!own->ClaimEndpoint(&e).ok() || !own->AddSubscriber(&sub).ok()) _exit(1);
    if (write(ready[1], "r", 1) != 1 || read(sent[0], &c, 1) != 1) _exit(2);
    ReceivedFrame f;
    bool got = false;
    if (!own->Receive(sub, &f, &got).ok() || !got) _exit(3);
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  Publish(*ch);
  Publish(*ch);
  ASSERT_EQ(write(sent[1], "s", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (int fd : {ready[0], ready[1], sent[0], sent[1]}) close(fd);
  // Both slots unreleased or unread by the dead process: reclaimed.
  Loan loan;
  ASSERT_TRUE(ch->LoanSlot(&loan).ok());
  EXPECT_EQ(loan.seq, 3u);
  uint32_t reclaimed = 1;
  ASSERT_TRUE(ch->ReclaimDead(&reclaimed).ok());
  EXPECT_EQ(reclaimed, 0u) << "already reclaimed";
}

// Tests that a dead publisher is replaced and is reported as not closed.
TEST(FrameChannel, ADeadPublisherCanBeReplaced) {
  TestChannel ch(kLatest, 2);
  InChildThatDies([&] {
    if (!ch.Another()->ClaimPublisher().ok()) _exit(1);
  });
  PublisherInfo info;
  ASSERT_TRUE(ch->Publisher(&info).ok());
  EXPECT_NE(info.identity, 0u);
  EXPECT_FALSE(IsAlive(info.identity));
  EXPECT_FALSE(info.closed);
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  ASSERT_TRUE(ch->Publisher(&info).ok());
  EXPECT_EQ(info.identity, SelfIdentity());
}

// Tests, with a publisher and a subscriber in two processes racing, that a
// received frame is always whole: every byte of it carries its sequence.
TEST(FrameChannel, FramesAreNeverSeenHalfWrittenAcrossProcesses) {
  for (Policy policy : {kLatest, kQueue}) {
    TestChannel ch(policy, 3);
    uint32_t e = 0, sub = 0;
    ASSERT_TRUE(ch->ClaimEndpoint(&e).ok());
    ASSERT_TRUE(ch->AddSubscriber(&sub).ok());
    constexpr uint64_t kFrames = 20000;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::unique_ptr<Channel> own = ch.Another();
      uint32_t pe = 0;
      if (!own->ClaimEndpoint(&pe).ok() || !own->ClaimPublisher().ok()) _exit(1);
      for (uint64_t n = 0; n < kFrames;) {
        Loan loan;
        if (!own->LoanSlot(&loan).ok()) continue;  // queue: the subscriber is behind
        std::memset(ch.pixels(loan.slot), static_cast<int>(loan.seq & 0xff), 16 * 16 * 4);
        if (!own->Send(loan, loan.seq).ok()) _exit(2);
        ++n;
      }
      own->ReleasePublisher();
      _exit(0);
    }
    uint64_t last = 0, received = 0;
    while (last < kFrames) {
      ReceivedFrame f;
      if (!Take(*ch, sub, &f)) continue;
      const uint8_t* p = ch.pixels(f.slot);
      for (int i = 0; i < 16 * 16 * 4; ++i) ASSERT_EQ(p[i], f.seq & 0xff) << "byte " << i << " of frame " << f.seq;
      ASSERT_GT(f.seq, last);
      if (policy == kQueue) {
        ASSERT_EQ(f.seq, last + 1);
      }
      last = f.seq;
      ++received;
      ASSERT_TRUE(ch->ReleaseLease(sub, f.slot).ok());
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (policy == kQueue) {
      EXPECT_EQ(received, kFrames);
    }
  }
}


// Tests that no peer can make a wake block this process: every end of a
// wake pair is shared with the peers, which can clear O_NONBLOCK on it and
// fill it; sends and the drain still return at once.
TEST(FrameChannel, APeerCannotMakeAWakeBlock) {
  TestChannel ch(kLatest, 3, 2);
  uint32_t e = 0;
  ASSERT_TRUE(ch->ClaimEndpoint(&e).ok());
  ASSERT_TRUE(ch->ClaimPublisher().ok());
  // What a hostile peer does to its copies (the same open files): blocking,
  // and full, and a request armed so that the publisher sends.
  for (int fd : {ch.send_fd(e), ch.receive_fd(e)}) ASSERT_EQ(fcntl(fd, F_SETFL, 0), 0);
  const char byte = 0;
  int sent = 0;
  while (send(ch.send_fd(e), &byte, 1, MSG_DONTWAIT) == 1) ++sent;
  ASSERT_GT(sent, 0);
  alarm(10);  // a blocked send would end the test run here, not hang it
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(ch->Arm(kWantFrames).ok());
    Publish(*ch);
  }
  EXPECT_GT(ch.TakeWakes(e), 0u);
  DrainWakes(ch.receive_fd(e));  // and the drain, on a blocking, empty socket
  alarm(0);
}

// Tests that only Unix datagram sockets pass as wake descriptors: a peer
// that exports a channel may send a FIFO (whose writes block), an eventfd
// or a file instead.
TEST(FrameChannel, OnlyWakeSocketsPassAsWakeDescriptors) {
  UniqueFd receive, send_end;
  ASSERT_TRUE(CreateWakePair(&receive, &send_end).ok());
  EXPECT_TRUE(CheckWakeSocket(receive.get()).ok());
  EXPECT_TRUE(CheckWakeSocket(send_end.get()).ok());
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  UniqueFd event(eventfd(0, EFD_CLOEXEC));
  UniqueFd file(open("/dev/null", O_RDONLY | O_CLOEXEC));
  int stream[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream), 0);
  UniqueFd stream_a(stream[0]), stream_b(stream[1]);
  for (int fd : {write_end.get(), event.get(), file.get(), stream_a.get(), -1}) {
    EXPECT_STREQ(CheckWakeSocket(fd).code, "ERR_HANDLE_INVALID") << "descriptor " << fd;
  }
}

// Whether `s` is a failure a hostile header may cause: a code, never a crash.
bool AcceptableUnderAttack(const Status& s) {
  static const char* const kCodes[] = {"ERR_CHANNEL_CORRUPT", "ERR_NO_FREE_SLOT", "ERR_CHANNEL_FULL",
                                       "ERR_PUBLISHER_EXISTS"};
  if (s.ok()) return true;
  for (const char* code : kCodes) {
    if (s.CodeName() == code) return true;
  }
  return false;
}

// One write of a hostile process into the header: `width` bytes at `offset`.
struct Scribble {
  size_t offset;
  size_t width;
  uint64_t value;
};

// Runs a publisher and a subscriber (two Channel objects, as two processes
// have) over a channel whose header got `scribble`, through every operation,
// and returns what went wrong, if anything.
std::string ProtocolUnder(const Scribble& scribble, Policy policy) {
  TestChannel ch(policy, 3);
  std::unique_ptr<Channel> pub = ch.Another(), sub = ch.Another();
  uint32_t pe = 0, se = 0, subscriber = 0;
  if (!pub->ClaimEndpoint(&pe).ok() || !pub->ClaimPublisher().ok() || !sub->ClaimEndpoint(&se).ok() ||
      !sub->AddSubscriber(&subscriber).ok()) {
    return "setup failed";
  }
  Publish(*pub);
  ReceivedFrame held;
  bool got = false;
  if (!sub->Receive(subscriber, &held, &got).ok() || !got) return "setup receive failed";

  uint8_t* bytes = reinterpret_cast<uint8_t*>(ch.header());
  uint8_t before[8];
  std::memcpy(before, bytes + scribble.offset, scribble.width);
  std::memcpy(bytes + scribble.offset, &scribble.value, scribble.width);
  const bool fixed_changed = scribble.offset < offsetof(Header, published) &&
                             std::memcmp(before, bytes + scribble.offset, scribble.width) != 0;

  std::string wrong;
  auto check = [&](const char* what, const Status& s) {
    if (!AcceptableUnderAttack(s)) wrong += std::string(what) + ": " + s.CodeName() + " " + s.Message() + "; ";
  };
  Loan loan;
  Status first = pub->LoanSlot(&loan);
  if (fixed_changed && first.CodeName() != "ERR_CHANNEL_CORRUPT") wrong += "a changed fixed header went unnoticed; ";
  check("loan", first);
  if (first.ok()) check("send", pub->Send(loan, 1));
  for (int round = 0; round < 3; ++round) {
    ReceivedFrame f;
    bool received = false;
    Status s = sub->Receive(subscriber, &f, &received);
    check("receive", s);
    if (received) {
      if (f.slot >= 3) wrong += "a received slot out of range; ";
      check("release lease", sub->ReleaseLease(subscriber, f.slot));
    }
    if (pub->LoanSlot(&loan).ok()) check(round == 1 ? "abandon" : "send", round == 1 ? pub->Abandon(loan) : pub->Send(loan, 2));
  }
  check("release held", sub->ReleaseLease(subscriber, held.slot));
  check("arm", sub->Arm(kWantFrames | kWantSpace));
  check("arm", pub->Arm(kWantSpace));
  PublisherInfo info;
  check("publisher", sub->Publisher(&info));
  uint32_t reclaimed = 0;
  check("reclaim", sub->ReclaimDead(&reclaimed));
  std::unique_ptr<Channel> late = ch.Another();
  uint32_t le = 0, ls = 0;
  Status joined = late->ClaimEndpoint(&le);
  check("join", joined);
  if (joined.ok()) check("subscribe", late->AddSubscriber(&ls));
  check("disarm", sub->Disarm(kWantFrames));
  sub->RemoveSubscriber(subscriber);
  late->ReleaseEndpoint();
  sub->ReleaseEndpoint();
  pub->ReleasePublisher();
  pub->ReleaseEndpoint();
  return wrong;
}

// Tests that every word of the header is untrusted input: boundary values
// written into any of its fields, 4 or 8 bytes wide, make the protocol fail
// with a code (ERR_CHANNEL_CORRUPT when the fixed part changed), and never
// crash, read or write outside the channel (the sanitizer build checks), or
// write to a descriptor the channel was not given: stdout and stderr are a
// pipe meanwhile, which must stay empty.
TEST(FrameChannel, EveryFieldOfTheHeaderIsUntrustedInput) {
  static const uint32_t kValues32[] = {0, 1, 2, 3, 63, 64, 65, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff};
  static const uint64_t kValues64[] = {~0ull, 1ull << 63, (1ull << 63) | 5, 1ull << 53, (1ull << 61) + 1, 0x7fffffffffffffffull};
  // Every field of every kind: the fixed part, the publisher's words, the
  // slots, endpoints and subscriber entries in use (3 slots, 4 endpoints,
  // 2 subscribers), and the last entry of each array.
  const std::pair<size_t, size_t> kRanges[] = {
      {0, offsetof(Header, slot)},
      {offsetof(Header, slot), offsetof(Header, slot) + 4 * sizeof(SlotControl)},
      {offsetof(Header, slot) + (kMaxSlots - 1) * sizeof(SlotControl), offsetof(Header, endpoint)},
      {offsetof(Header, endpoint), offsetof(Header, endpoint) + 5 * sizeof(Endpoint)},
      {offsetof(Header, endpoint) + (kMaxEndpoints - 1) * sizeof(Endpoint), offsetof(Header, subscriber)},
      {offsetof(Header, subscriber), offsetof(Header, subscriber) + 3 * sizeof(SubscriberEntry)},
      {sizeof(Header) - sizeof(SubscriberEntry), sizeof(Header)},
  };
  std::vector<Scribble> scribbles;
  for (const auto& range : kRanges) {
    for (size_t offset = range.first; offset + 4 <= range.second; offset += 4) {
      for (uint32_t v : kValues32) scribbles.push_back({offset, 4, v});
      if (offset % 8 != 0) continue;
      for (uint64_t v : kValues64) scribbles.push_back({offset, 8, v});
    }
  }
  int canary[2];
  ASSERT_EQ(pipe2(canary, O_NONBLOCK | O_CLOEXEC), 0);
  fflush(stdout);
  fflush(stderr);
  UniqueFd saved_out(dup(1)), saved_err(dup(2));
  ASSERT_EQ(dup2(canary[1], 1), 1);
  ASSERT_EQ(dup2(canary[1], 2), 2);
  std::vector<std::string> failures;
  for (Policy policy : {kLatest, kQueue}) {
    for (const Scribble& scribble : scribbles) {
      std::string wrong = ProtocolUnder(scribble, policy);
      if (!wrong.empty() && failures.size() < 20) {
        failures.push_back("offset " + std::to_string(scribble.offset) + " width " + std::to_string(scribble.width) +
                           " value " + std::to_string(scribble.value) + ": " + wrong);
      }
    }
  }
  dup2(saved_out.get(), 1);
  dup2(saved_err.get(), 2);
  char leaked[64];
  ssize_t n = read(canary[0], leaked, sizeof leaked);
  close(canary[0]);
  close(canary[1]);
  EXPECT_LE(n, 0) << "something was written to stdout or stderr";
  for (const std::string& failure : failures) ADD_FAILURE() << failure;
  EXPECT_GT(scribbles.size(), 3000u);
}

}  // namespace
}  // namespace frames
}  // namespace eshm
