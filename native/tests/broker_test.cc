#include "core/broker.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "core/broker_socket_linux.h"
#include "core/broker_wire.h"
#include "core/shared_file.h"

namespace eshm {
namespace {

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Forked children below start brokers of their own: none may inherit
    // one. A broker whose last export was used up stops on its own, soon.
    ASSERT_EQ(LiveExports(), 0u);
    for (int ms = 0; ms < 5000 && BrokerRunning(); ++ms) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_FALSE(BrokerRunning());
    ASSERT_TRUE(CreateAnonymousFile(4096, "/tmp", true, &fd_).ok());
  }
  void TearDown() override { EXPECT_EQ(LiveExports(), 0u) << "a test left an export behind"; }
  UniqueFd fd_;
};

// A peer that speaks to the broker directly, saying whatever a test makes it say.
UniqueFd ConnectRaw(const ExportTicket& ticket) {
  UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr;
  socklen_t len = BrokerAddress(ticket.broker_pid, ticket.nonce, &addr);
  if (connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) return UniqueFd();
  return sock;
}

std::vector<uint8_t> RequestFor(const ExportTicket& ticket) {
  BrokerRequest request;
  request.id = ticket.id;
  request.secret = ticket.secret;
  std::vector<uint8_t> bytes(kRequestSize);
  EncodeRequest(request, bytes.data());
  return bytes;
}

bool SendBytes(int fd, const void* data, size_t len) {
  return send(fd, data, len, MSG_NOSIGNAL) == static_cast<ssize_t>(len);
}

bool Readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

// The broker's answer on a raw connection: its status, and how many
// descriptors came with it (closed at once). -1 when the broker closed first
// or said nothing within `timeout_ms`.
int ReadAnswer(int fd, int timeout_ms, size_t* descriptors = nullptr) {
  uint8_t bytes[kReplySize];
  size_t got = 0;
  while (got < sizeof bytes) {
    if (!Readable(fd, timeout_ms)) return -1;
    iovec iov{bytes + got, sizeof bytes - got};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxExportFds)] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) return -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int received;
        std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof received);
        close(received);
      }
      if (descriptors != nullptr) *descriptors += count;
    }
    got += static_cast<size_t>(n);
  }
  BrokerReply reply;
  if (ParseReply(bytes, got, &reply) != Parse::kComplete) return -2;
  return static_cast<int>(reply.status);
}

// Whether the broker closes `fd` within `timeout_ms` (whatever it said before).
bool ClosedByBroker(int fd, int timeout_ms) {
  char buf[64];
  while (Readable(fd, timeout_ms)) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n < 0 && errno != EAGAIN) return false;
  }
  return false;
}

// Waits, at most five seconds, until the broker holds `count` connections.
bool BrokerHolds(size_t count) {
  for (int i = 0; i < 5000 && BrokerConnections() != count; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return BrokerConnections() == count;
}

size_t OpenDescriptors() {
  size_t count = 0;
  for (int fd = 0; fd < 4096; ++fd) count += fcntl(fd, F_GETFD) >= 0;
  return count;
}

int64_t MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

// Tests that an export is fetched as a descriptor of the same memory.
TEST_F(BrokerTest, FetchesTheSameMemory) {
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get()}, ExportPolicy{}, &ticket).ok());
  EXPECT_TRUE(BrokerRunning());
  Received got;
  ASSERT_TRUE(Fetch(ticket, 2000, &got).ok());
  FileInfo info;
  ASSERT_TRUE(DescribeFile(got.fd.get(), &info).ok());
  EXPECT_EQ(info.size, 4096u);
  EXPECT_TRUE(Revoke(ticket.id));
  EXPECT_FALSE(Revoke(ticket.id));
  EXPECT_FALSE(BrokerRunning()) << "the broker stops with its last export";
  EXPECT_EQ(LiveExports(), 0u);
}

// Tests that the descriptors exported with the memory arrive with it, in
// order: what a frame channel's eventfds rely on.
TEST_F(BrokerTest, CarriesCompanionDescriptorsInOrder) {
  UniqueFd a(eventfd(5, EFD_CLOEXEC)), b(eventfd(7, EFD_CLOEXEC));
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get(), a.get(), b.get()}, ExportPolicy{}, &ticket).ok());
  Received got;
  ASSERT_TRUE(Fetch(ticket, 2000, &got).ok());
  ASSERT_EQ(got.companions.size(), 2u);
  uint64_t value = 0;
  ASSERT_EQ(read(got.companions[0].get(), &value, sizeof value), 8);
  EXPECT_EQ(value, 5u);
  ASSERT_EQ(read(got.companions[1].get(), &value, sizeof value), 8);
  EXPECT_EQ(value, 7u);
  EXPECT_TRUE(Revoke(ticket.id));
}

// Tests that each refusal carries its code.
TEST_F(BrokerTest, RefusesWrongSecretRevokedAndUsedUpExports) {
  ExportTicket keep;
  ASSERT_TRUE(Export({fd_.get()}, ExportPolicy{}, &keep).ok());
  ExportTicket forged = keep;
  forged.secret[0] ^= 1;
  Received got;
  EXPECT_EQ(Fetch(forged, 2000, &got).CodeName(), "ERR_HANDLE_INVALID");
  ExportTicket unknown = keep;
  unknown.id = 1u << 30;
  EXPECT_EQ(Fetch(unknown, 2000, &got).CodeName(), "ERR_HANDLE_INVALID");

  ExportTicket once;
  ExportPolicy policy;
  policy.once = true;
  ASSERT_TRUE(Export({fd_.get()}, policy, &once).ok());
  EXPECT_TRUE(Fetch(once, 2000, &got).ok());
  EXPECT_EQ(Fetch(once, 2000, &got).CodeName(), "ERR_HANDLE_REVOKED");

  ExportTicket bound;
  policy.once = false;
  policy.pid = getpid() + 1;
  ASSERT_TRUE(Export({fd_.get()}, policy, &bound).ok());
  EXPECT_EQ(Fetch(bound, 2000, &got).CodeName(), "EACCES");

  Revoke(bound.id);
  Revoke(keep.id);
  EXPECT_EQ(Fetch(keep, 2000, &got).CodeName(), "ERR_HANDLE_REVOKED");
}

// Tests that a child process reaches the broker by the ticket alone.
TEST_F(BrokerTest, ServesAnotherProcess) {
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get()}, ExportPolicy{}, &ticket).ok());
  pid_t child = fork();
  if (child == 0) {
    Received got;
    Status s = Fetch(ticket, 2000, &got);
    _exit(s.ok() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  Revoke(ticket.id);
}

// Tests that a peer trickling its request a byte at a time is cut off at
// the connection's deadline, though no single read ever waits long: the
// deadline is the connection's, not each read's.
TEST_F(BrokerTest, CutsOffATricklingPeerAtItsConnectionDeadline) {
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get()}, ExportPolicy{}, &ticket).ok());
  UniqueFd peer = ConnectRaw(ticket);
  ASSERT_TRUE(peer.valid());
  std::vector<uint8_t> request = RequestFor(ticket);
  size_t sent = 0;
  // At one byte per 100 ms the request would take 3.2 s to complete.
  while (sent < request.size() && !Readable(peer.get(), 100)) {
    ASSERT_TRUE(SendBytes(peer.get(), &request[sent], 1));
    ++sent;
  }
  EXPECT_LT(sent, request.size()) << "the broker waited for the whole trickled request";
  EXPECT_EQ(ReadAnswer(peer.get(), 1000), static_cast<int>(ReplyStatus::kTooSlow));
  EXPECT_TRUE(ClosedByBroker(peer.get(), 1000));
  EXPECT_TRUE(Revoke(ticket.id));
}

// Tests that a hundred peers that connect and say nothing, or half a
// request, neither delay an import nor keep the broker from stopping, and
// that stopping closes them all.
TEST_F(BrokerTest, StalledPeersDelayNeitherImportsNorStopping) {
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get()}, ExportPolicy{}, &ticket).ok());
  std::vector<UniqueFd> peers;
  std::vector<uint8_t> half = RequestFor(ticket);
  for (int i = 0; i < 100; ++i) {
    peers.push_back(ConnectRaw(ticket));
    ASSERT_TRUE(peers.back().valid());
    if (i % 2 == 1) {
      ASSERT_TRUE(SendBytes(peers.back().get(), half.data(), half.size() / 2));
    }
  }
  ASSERT_TRUE(BrokerHolds(100));
  Received got;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(Fetch(ticket, 2000, &got).ok());
  EXPECT_TRUE(BrokerHolds(100)) << "the stalled peers were still held while the import was served";
  EXPECT_TRUE(Revoke(ticket.id));
  // Less than one connection deadline: nothing waited on a peer.
  EXPECT_LT(MsSince(start), 1000);
  EXPECT_FALSE(BrokerRunning());
  for (const UniqueFd& peer : peers) EXPECT_TRUE(ClosedByBroker(peer.get(), 1000));
}

// Tests that garbage is answered kBadRequest as soon as its first wrong
// byte arrives, and the connection closed.
TEST_F(BrokerTest, AnswersGarbageAtOnce) {
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get()}, ExportPolicy{}, &ticket).ok());
  UniqueFd peer = ConnectRaw(ticket);
  ASSERT_TRUE(SendBytes(peer.get(), "G", 1));
  EXPECT_EQ(ReadAnswer(peer.get(), 500), static_cast<int>(ReplyStatus::kBadRequest));
  EXPECT_TRUE(ClosedByBroker(peer.get(), 500));
  Received got;
  EXPECT_TRUE(Fetch(ticket, 2000, &got).ok());
  EXPECT_TRUE(Revoke(ticket.id));
}

// Tests that peers that connect and leave at once leave nothing held.
TEST_F(BrokerTest, ForgetsPeersThatConnectAndLeave) {
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get()}, ExportPolicy{}, &ticket).ok());
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(ConnectRaw(ticket).valid());
  Received got;
  EXPECT_TRUE(Fetch(ticket, 2000, &got).ok());
  EXPECT_TRUE(BrokerHolds(0));
  EXPECT_TRUE(Revoke(ticket.id));
}

// Tests that a once export is used up only by an import that confirmed its
// descriptors arrived: a peer that takes the grant and leaves, or keeps
// the confirmation back, leaves the export importable; while it holds the
// grant, another import of it is refused.
TEST_F(BrokerTest, UsesUpAOnceExportOnlyWhenItsImportIsConfirmed) {
  ExportPolicy policy;
  policy.once = true;
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get()}, policy, &ticket).ok());
  std::vector<uint8_t> request = RequestFor(ticket);
  {
    UniqueFd leaves = ConnectRaw(ticket);
    ASSERT_TRUE(SendBytes(leaves.get(), request.data(), request.size()));
    size_t descriptors = 0;
    EXPECT_EQ(ReadAnswer(leaves.get(), 1000, &descriptors), static_cast<int>(ReplyStatus::kGranted));
    EXPECT_EQ(descriptors, 1u);
  }
  ASSERT_TRUE(BrokerHolds(0));
  EXPECT_EQ(LiveExports(), 1u) << "an unconfirmed grant used the export up";

  UniqueFd holds = ConnectRaw(ticket);
  ASSERT_TRUE(SendBytes(holds.get(), request.data(), request.size()));
  EXPECT_EQ(ReadAnswer(holds.get(), 1000), static_cast<int>(ReplyStatus::kGranted));
  Received got;
  EXPECT_EQ(Fetch(ticket, 2000, &got).CodeName(), "ERR_HANDLE_REVOKED") << "a second grant while one is in flight";
  // Kept back past the deadline, the grant lapses.
  EXPECT_TRUE(ClosedByBroker(holds.get(), 2000));
  ASSERT_TRUE(BrokerHolds(0));
  EXPECT_EQ(LiveExports(), 1u);

  ASSERT_TRUE(Fetch(ticket, 2000, &got).ok());
  EXPECT_EQ(LiveExports(), 0u) << "a confirmed import is done by the time Fetch returns";
  EXPECT_EQ(Fetch(ticket, 2000, &got).CodeName(), "ERR_HANDLE_REVOKED");
  EXPECT_FALSE(Revoke(ticket.id));
}

// Tests that a flood of connections costs the broker at most its bound of
// descriptors, that an import is served through it, and that the broker
// holds nothing after.
TEST_F(BrokerTest, BoundsItsConnectionsUnderAFlood) {
  size_t before = OpenDescriptors();
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get()}, ExportPolicy{}, &ticket).ok());
  std::vector<UniqueFd> flood;
  for (int i = 0; i < 300; ++i) {
    flood.push_back(ConnectRaw(ticket));
    ASSERT_TRUE(flood.back().valid());
  }
  Received got;
  ASSERT_TRUE(Fetch(ticket, 2000, &got).ok());
  got = Received();
  // Every peer of the flood ends up held, or evicted and told to try again.
  std::vector<bool> answered(flood.size());
  int busy = 0, other = 0;
  for (int ms = 0; ms < 5000 && busy + other + BrokerConnections() != flood.size(); ++ms) {
    for (size_t i = 0; i < flood.size(); ++i) {
      if (answered[i] || !Readable(flood[i].get(), 0)) continue;
      answered[i] = true;
      ++(ReadAnswer(flood[i].get(), 0) == static_cast<int>(ReplyStatus::kBusy) ? busy : other);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  size_t held = BrokerConnections();
  EXPECT_EQ(busy + held, flood.size());
  EXPECT_EQ(other, 0);
  EXPECT_LE(held, 128u);
  EXPECT_GE(held, 127u) << "one may have made room for the import";
  // This process holds both ends: the flood's, and the broker's.
  size_t broker_side = OpenDescriptors() - before - flood.size();
  EXPECT_LE(broker_side, 128u + 5u) << "connections, listening socket, epoll set, eventfd, reserve, the export";
  flood.clear();
  EXPECT_TRUE(BrokerHolds(0));
  EXPECT_TRUE(Revoke(ticket.id));
  EXPECT_EQ(OpenDescriptors(), before);
}

// Runs `body` in a child process with at most `limit` descriptors; returns
// its exit status (0 for success).
template <typename Body>
int InChild(rlim_t limit, Body body) {
  pid_t child = fork();
  if (child == 0) {
    rlimit r{limit, limit};
    if (setrlimit(RLIMIT_NOFILE, &r) != 0) _exit(100);
    _exit(body());
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// Opens descriptors until none is left, then frees `spare` of them.
std::vector<UniqueFd> LeaveFree(size_t spare) {
  std::vector<UniqueFd> fillers;
  for (;;) {
    UniqueFd fd(eventfd(0, EFD_CLOEXEC));
    if (!fd.valid()) break;
    fillers.push_back(std::move(fd));
  }
  for (size_t i = 0; i < spare && !fillers.empty(); ++i) fillers.pop_back();
  return fillers;
}

// Tests that an importer with no descriptor free, or only one (taken by
// its socket, so the kernel drops the memory's), is told EMFILE, and that
// its failed import leaves a once export live.
TEST_F(BrokerTest, ImporterWithoutDescriptorsIsEmfileAndUsesNothingUp) {
  ExportPolicy policy;
  policy.once = true;
  ExportTicket ticket;
  ASSERT_TRUE(Export({fd_.get()}, policy, &ticket).ok());
  for (size_t spare : {0, 1}) {
    int code = InChild(64, [&] {
      std::vector<UniqueFd> fillers = LeaveFree(spare);
      Received got;
      Status s = Fetch(ticket, 2000, &got);
      if (s.CodeName() != "EMFILE") return 1;
      if (spare == 1 && std::string(s.syscall) != "recvmsg") return 2;
      return 0;
    });
    EXPECT_EQ(code, 0) << spare << " descriptor(s) free";
  }
  EXPECT_EQ(LiveExports(), 1u);
  Received got;
  EXPECT_TRUE(Fetch(ticket, 2000, &got).ok());
  EXPECT_EQ(LiveExports(), 0u);
}

// Tests that an exporter with no descriptor free answers EMFILE rather than
// leave importers to time out, and serves them again once it has some.
TEST_F(BrokerTest, ExporterWithoutDescriptorsAnswersEmfile) {
  int to_child[2], to_parent[2];
  ASSERT_EQ(pipe2(to_child, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(to_parent, O_CLOEXEC), 0);
  pid_t child = fork();
  if (child == 0) {
    rlimit r{64, 64};
    ExportTicket ticket;
    if (setrlimit(RLIMIT_NOFILE, &r) != 0 || !Export({fd_.get()}, ExportPolicy{}, &ticket).ok()) _exit(1);
    std::vector<UniqueFd> fillers = LeaveFree(0);
    char go;
    if (write(to_parent[1], &ticket.id, sizeof ticket.id) < 0 || write(to_parent[1], ticket.secret.data(), 16) < 0 ||
        write(to_parent[1], ticket.nonce.data(), 16) < 0 || read(to_child[0], &go, 1) != 1) {
      _exit(2);
    }
    fillers.clear();
    if (write(to_parent[1], "f", 1) != 1 || read(to_child[0], &go, 1) != 1) _exit(3);
    _exit(0);
  }
  ExportTicket ticket;
  ticket.broker_pid = child;
  char nonce[16];
  ASSERT_EQ(read(to_parent[0], &ticket.id, sizeof ticket.id), 8);
  ASSERT_EQ(read(to_parent[0], ticket.secret.data(), 16), 16);
  ASSERT_EQ(read(to_parent[0], nonce, 16), 16);
  ticket.nonce.assign(nonce, 16);
  Received got;
  for (int i = 0; i < 3; ++i) {
    Status s = Fetch(ticket, 2000, &got);
    EXPECT_EQ(s.CodeName(), "EMFILE") << s.Message();
    EXPECT_STREQ(s.syscall, "accept4");
  }
  char step;
  ASSERT_EQ(write(to_child[1], "g", 1), 1);
  ASSERT_EQ(read(to_parent[0], &step, 1), 1);
  Status s = Fetch(ticket, 2000, &got);
  EXPECT_TRUE(s.ok()) << s.Message();
  ASSERT_EQ(write(to_child[1], "g", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) close(fd);
}

}  // namespace
}  // namespace eshm
