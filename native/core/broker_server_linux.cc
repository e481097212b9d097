// The broker's side of core/broker.h: the table of exports, and the thread
// that answers importers (docs/handle-format.md, "The protocol").
//
// Nothing a peer does may hold the broker: the thread serves every
// connection at once from one epoll set, reads and writes without ever
// blocking, gives each connection one deadline from accept to its last
// message, and holds at most kMaxConnections. Revoke and stop only take a
// lock that the thread holds for a few nonblocking calls at a time, so
// they never wait on a peer.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "core/broker.h"
#include "core/broker_socket_linux.h"
#include "core/broker_wire.h"

namespace eshm {
namespace {

// How long one connection may take, from accept to its last message: its
// request, and for a `once` export the importer's confirmation. An
// importer sends its request as soon as it is connected and confirms as
// soon as the descriptors are in, so a second is ample.
constexpr int64_t kConnectionDeadlineMs = 1000;
// Most connections held at once (each is one descriptor of this process).
// A connection beyond it evicts the oldest one still waiting for its
// request, which is answered kBusy: its importer tries again.
constexpr size_t kMaxConnections = 128;
// Accepted per wake at most, so that held connections are served between.
constexpr int kAcceptBatch = 32;
// When accept fails and the reserve descriptor cannot help, the listening
// socket rests this long rather than wake the thread again at once.
constexpr int64_t kAcceptPauseMs = 50;

struct Entry {
  std::vector<UniqueFd> fds;
  Secret secret;
  ExportPolicy policy;
  // The connection a `once` grant waits on for its confirmation; 0 if none.
  // The export is used up only when that confirmation arrives.
  uint64_t held_by = 0;
};

struct Connection {
  UniqueFd fd;
  uint64_t serial = 0;  // never reused, unlike descriptor numbers
  ucred peer{};
  int64_t deadline_ms = 0;
  bool confirming = false;  // the request is answered; a `once` grant awaits the confirmation
  uint64_t held_id = 0;     // the export held for it while confirming
  uint8_t buf[kRequestSize] = {};
  size_t got = 0;
};

using Connections = std::map<int, Connection>;  // by descriptor; the thread's alone

Status RandomBytes(void* buf, size_t len) {
  auto* p = static_cast<uint8_t*>(buf);
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Sys("getrandom");
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

bool SecretsEqual(const Secret& a, const Secret& b) {
  // Constant time, so the answer's timing tells nothing about the secret.
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

// Answers without waiting; a peer that cannot take 16 bytes now loses it.
bool Answer(int fd, ReplyStatus status, uint32_t value = 0, const int* fds = nullptr, size_t fd_count = 0) {
  uint8_t bytes[kReplySize];
  EncodeReply(BrokerReply{status, value}, bytes);
  return SendNow(fd, bytes, sizeof bytes, fds, fd_count);
}

UniqueFd OpenReserve() { return UniqueFd(open("/dev/null", O_RDONLY | O_CLOEXEC)); }

// The process's one broker. Heap-allocated and never destroyed, so that a
// thread still running at exit never touches a destroyed object.
//
// Two locks: life_mu_ serializes starting and stopping the thread (Export,
// Revoke); mu_ guards the table and is the only lock the thread takes. The
// thread decides to exit, and closes its socket, inside one mu_ section, so
// an export is never added to a broker that is on its way out.
class Broker {
 public:
  static Broker& Get() {
    static Broker* broker = new Broker;
    return *broker;
  }

  Status Export(const std::vector<int>& fds, const ExportPolicy& policy, ExportTicket* out) {
    Entry entry;
    entry.policy = policy;
    for (int fd : fds) {
      entry.fds.emplace_back(fcntl(fd, F_DUPFD_CLOEXEC, 0));
      if (!entry.fds.back().valid()) return Status::Sys("fcntl(F_DUPFD_CLOEXEC)");
    }
    Status s = RandomBytes(entry.secret.data(), entry.secret.size());
    if (!s.ok()) return s;

    std::lock_guard<std::mutex> life(life_mu_);
    bool start = !Running();
    if (start) {
      // The old thread, if any, has exited or is about to: nothing of it is
      // left to touch the members OpenSocket sets.
      if (thread_.joinable()) thread_.join();
      s = OpenSocket();
      if (!s.ok()) return s;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      out->broker_pid = getpid();
      out->nonce = nonce_;
      out->id = next_id_++;
      out->secret = entry.secret;
      entries_.emplace(out->id, std::move(entry));
      if (start) {
        running_ = true;
        stop_ = false;
      }
    }
    if (start) thread_ = std::thread([this] { Run(); });
    return Status::Ok();
  }

  bool Revoke(uint64_t id) {
    std::lock_guard<std::mutex> life(life_mu_);
    bool found;
    bool stop;
    {
      std::lock_guard<std::mutex> lock(mu_);
      found = entries_.erase(id) > 0;
      stop = entries_.empty() && running_;
      if (stop) {
        stop_ = true;
        uint64_t one = 1;
        ssize_t ignored = write(wake_fd_.get(), &one, sizeof one);
        (void)ignored;
      }
    }
    // The thread is at most a few nonblocking calls away from seeing stop_.
    if (stop && thread_.joinable()) thread_.join();
    return found;
  }

  size_t Live() {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
  }

  bool Running() {
    std::lock_guard<std::mutex> lock(mu_);
    return running_;
  }

  size_t Held() const { return held_.load(); }

 private:
  // Binds a fresh socket under a fresh random name. Called with no thread
  // running.
  Status OpenSocket() {
    uint8_t raw[8];
    Status s = RandomBytes(raw, sizeof raw);
    if (!s.ok()) return s;
    char hex[17];
    for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02x", raw[i]);

    UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!sock.valid()) return Status::Sys("socket");
    sockaddr_un addr;
    socklen_t len = BrokerAddress(getpid(), hex, &addr);
    if (bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) return Status::Sys("bind");
    if (listen(sock.get(), SOMAXCONN) != 0) return Status::Sys("listen");
    UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake.valid()) return Status::Sys("eventfd");
    UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll.valid()) return Status::Sys("epoll_create1");
    for (int fd : {sock.get(), wake.get()}) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return Status::Sys("epoll_ctl");
    }
    UniqueFd reserve = OpenReserve();
    if (!reserve.valid()) return Status::Sys("open(/dev/null)");

    listen_fd_ = std::move(sock);
    wake_fd_ = std::move(wake);
    epoll_fd_ = std::move(epoll);
    reserve_fd_ = std::move(reserve);
    nonce_ = hex;
    paused_until_ms_ = 0;
    return Status::Ok();
  }

  void Run() {
    Connections conns;
    for (;;) {
      epoll_event events[64];
      int n = epoll_wait(epoll_fd_.get(), events, 64, WaitMs(conns));
      bool failed = n < 0 && errno != EINTR;
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == listen_fd_.get()) {
          AcceptSome(&conns);
        } else if (fd == wake_fd_.get()) {
          uint64_t count;
          ssize_t ignored = read(wake_fd_.get(), &count, sizeof count);
          (void)ignored;
        } else if (auto it = conns.find(fd); it != conns.end() && !Advance(&conns, &it->second)) {
          Close(&conns, it);
        }
      }
      ExpireAndResume(&conns);

      std::unique_lock<std::mutex> lock(mu_);
      if (failed || stop_ || entries_.empty()) {
        // Closing the socket frees its abstract name: later connects are
        // refused, which importers report as ERR_HANDLE_REVOKED.
        listen_fd_.reset();
        wake_fd_.reset();
        epoll_fd_.reset();
        reserve_fd_.reset();
        entries_.clear();
        running_ = false;
        lock.unlock();
        conns.clear();  // no export is left for a connection to hold
        held_.store(0);
        return;
      }
    }
  }

  // How long epoll_wait may sleep: until the nearest deadline, or the end
  // of an accept pause; for ever when there is neither.
  int WaitMs(const Connections& conns) const {
    int64_t next = paused_until_ms_ != 0 ? paused_until_ms_ : INT64_MAX;
    for (const auto& [fd, conn] : conns) next = std::min(next, conn.deadline_ms);
    if (next == INT64_MAX) return -1;
    return static_cast<int>(std::clamp<int64_t>(next - NowMs() + 1, 0, 60000));
  }

  void AcceptSome(Connections* conns) {
    for (int k = 0; k < kAcceptBatch; ++k) {
      int fd = accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        Admit(conns, UniqueFd(fd));
        continue;
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN) return;
      // The connection stays in the backlog, so the socket stays readable:
      // answer it if a descriptor can be found, else rest, never spin.
      if ((errno == EMFILE || errno == ENFILE) && RefuseForWantOfDescriptors(errno)) continue;
      Pause();
      return;
    }
  }

  // This process is out of descriptors (EMFILE) or the system is (ENFILE):
  // frees the reserve to accept one connection and tell its importer why,
  // rather than leave it to time out. Returns whether one was accepted.
  bool RefuseForWantOfDescriptors(int err) {
    if (!reserve_fd_.valid()) return false;
    reserve_fd_.reset();
    UniqueFd conn(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    bool accepted = conn.valid();
    if (accepted) Answer(conn.get(), ReplyStatus::kNoDescriptors, static_cast<uint32_t>(err));
    conn.reset();
    reserve_fd_ = OpenReserve();
    return accepted;
  }

  void Pause() {
    epoll_event ev{};
    ev.data.fd = listen_fd_.get();
    epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, listen_fd_.get(), &ev);
    paused_until_ms_ = NowMs() + kAcceptPauseMs;
  }

  void Admit(Connections* conns, UniqueFd fd) {
    Connection conn;
    socklen_t len = sizeof conn.peer;
    if (getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &conn.peer, &len) != 0) return;
    // Any uid can connect to an abstract socket. A stranger is answered at
    // once, without reading its request, so it cannot hold the broker.
    if (conn.peer.uid != geteuid()) {
      Answer(fd.get(), ReplyStatus::kWrongUid);
      return;
    }
    if (conns->size() >= kMaxConnections) Evict(conns);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd.get();
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd.get(), &ev) != 0) {
      Answer(fd.get(), ReplyStatus::kBusy);
      return;
    }
    conn.serial = ++serials_;
    conn.deadline_ms = NowMs() + kConnectionDeadlineMs;
    conn.fd = std::move(fd);
    auto it = conns->emplace(conn.fd.get(), std::move(conn)).first;
    held_.store(conns->size());
    // An importer sends its request right after connecting: it is often
    // here already.
    if (!Advance(conns, &it->second)) Close(conns, it);
  }

  // Makes room for one more: the oldest connection still waiting for its
  // request goes first (only an importer that knew a secret has reached
  // the confirmation), and is told to try again.
  void Evict(Connections* conns) {
    auto victim = std::min_element(conns->begin(), conns->end(), [](const auto& a, const auto& b) {
      return std::make_pair(a.second.confirming, a.second.serial) < std::make_pair(b.second.confirming, b.second.serial);
    });
    if (!victim->second.confirming) Answer(victim->first, ReplyStatus::kBusy);
    Close(conns, victim);
  }

  // Reads what the peer sent and acts on it. Returns false when the
  // connection is done with, whatever the reason.
  bool Advance(Connections* conns, Connection* conn) {
    size_t want = conn->confirming ? kConfirmSize : kRequestSize;
    ssize_t n = recv(conn->fd.get(), conn->buf + conn->got, want - conn->got, MSG_DONTWAIT);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) return false;  // the peer left (a confirmation never came: Close releases the hold)
    conn->got += static_cast<size_t>(n);
    if (conn->confirming) {
      Parse confirm = ParseConfirm(conn->buf, conn->got);
      if (confirm == Parse::kComplete) UseUp(conn);
      return confirm == Parse::kNeedMore;
    }
    BrokerRequest request;
    switch (ParseRequest(conn->buf, conn->got, &request)) {
      case Parse::kNeedMore:
        return true;
      case Parse::kMalformed:
        Answer(conn->fd.get(), ReplyStatus::kBadRequest);
        return false;
      case Parse::kComplete:
        break;
    }
    return Decide(conns, conn, request);
  }

  // Answers a whole request. Returns whether a confirmation is awaited.
  bool Decide(Connections* conns, Connection* conn, const BrokerRequest& request) {
    SettleHolder(conns, request.id);
    // Decide and send under the lock, so no revocation slips in between.
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(request.id);
    ReplyStatus status = ReplyStatus::kGranted;
    if (it == entries_.end()) {
      // Ids never repeat, so one below next_id_ with no entry has ended.
      status = request.id < next_id_ ? ReplyStatus::kRevoked : ReplyStatus::kUnknown;
    } else if (!SecretsEqual(request.secret, it->second.secret)) {
      status = ReplyStatus::kUnknown;
    } else if (it->second.policy.pid != 0 && conn->peer.pid != it->second.policy.pid) {
      status = ReplyStatus::kWrongPid;
    } else if (it->second.policy.once && it->second.held_by != 0) {
      status = ReplyStatus::kInFlight;
    }
    if (status != ReplyStatus::kGranted) {
      Answer(conn->fd.get(), status);
      return false;
    }
    Entry& entry = it->second;
    int fds[kMaxExportFds];
    for (size_t i = 0; i < entry.fds.size(); ++i) fds[i] = entry.fds[i].get();
    bool sent = Answer(conn->fd.get(), status, static_cast<uint32_t>(entry.fds.size()), fds, entry.fds.size());
    if (!sent || !entry.policy.once) return false;
    entry.held_by = conn->serial;
    conn->held_id = request.id;
    conn->confirming = true;
    conn->got = 0;
    return true;
  }

  // Takes in what the connection holding export `id` for its confirmation
  // has sent: the confirmation, or its hang-up. An importer whose
  // descriptors the kernel dropped (EMFILE) hangs up and may try again at
  // once: its hang-up is queued before its new connection exists, but this
  // thread may not have read it yet (it may still be accepting in the
  // batch that granted the export). Without this, that retry would be
  // refused as in flight (ERR_HANDLE_REVOKED) though the handle is live.
  void SettleHolder(Connections* conns, uint64_t id) {
    uint64_t holder = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries_.find(id);
      if (it != entries_.end()) holder = it->second.held_by;
    }
    if (holder == 0) return;
    auto it = std::find_if(conns->begin(), conns->end(), [&](const auto& c) { return c.second.serial == holder; });
    // A confirming connection's Advance never decides, so this ends here.
    if (it != conns->end() && !Advance(conns, &it->second)) Close(conns, it);
  }

  // The importer of a `once` export has its descriptors: the export ends.
  void UseUp(Connection* conn) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(conn->held_id);
    if (it != entries_.end() && it->second.held_by == conn->serial) entries_.erase(it);
    conn->held_id = 0;
  }

  // Ends a connection. A `once` export it held without a confirmation is
  // importable again: its descriptors may never have arrived.
  void Close(Connections* conns, Connections::iterator it) {
    if (it->second.held_id != 0) {
      std::lock_guard<std::mutex> lock(mu_);
      auto entry = entries_.find(it->second.held_id);
      if (entry != entries_.end() && entry->second.held_by == it->second.serial) entry->second.held_by = 0;
    }
    conns->erase(it);  // closing the descriptor also takes it out of the epoll set
    held_.store(conns->size());
  }

  void ExpireAndResume(Connections* conns) {
    int64_t now = NowMs();
    for (auto it = conns->begin(); it != conns->end();) {
      auto next = std::next(it);
      if (it->second.deadline_ms <= now) {
        if (!it->second.confirming) Answer(it->first, ReplyStatus::kTooSlow);
        Close(conns, it);
      }
      it = next;
    }
    if (paused_until_ms_ != 0 && paused_until_ms_ <= now) {
      paused_until_ms_ = 0;
      if (!reserve_fd_.valid()) reserve_fd_ = OpenReserve();
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = listen_fd_.get();
      epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, listen_fd_.get(), &ev);
    }
  }

  std::mutex life_mu_;
  std::thread thread_;  // guarded by life_mu_

  std::mutex mu_;
  std::map<uint64_t, Entry> entries_;
  // Ids start at 1 and never repeat in a process, so an id below next_id_
  // that has no entry is known to have been revoked.
  uint64_t next_id_ = 1;
  bool running_ = false;
  bool stop_ = false;
  // Set by OpenSocket with no thread running; then the thread's alone
  // (wake_fd_ is also written by Revoke, under mu_ while running_).
  std::string nonce_;
  UniqueFd listen_fd_;
  UniqueFd wake_fd_;
  UniqueFd epoll_fd_;
  // Held so that one descriptor can be freed to accept, and answer, an
  // importer when this process has none left.
  UniqueFd reserve_fd_;
  int64_t paused_until_ms_ = 0;  // accepting rests until then; 0 when it does not
  uint64_t serials_ = 0;
  // How many connections are held, stored as soon as one is taken in or let
  // go (after its hold on an export is released), for BrokerConnections().
  std::atomic<size_t> held_{0};
};

}  // namespace

Status Export(const std::vector<int>& fds, const ExportPolicy& policy, ExportTicket* out) {
  if (fds.empty() || fds.size() > kMaxExportFds) return Status::Sys("sendmsg", EINVAL);
  return Broker::Get().Export(fds, policy, out);
}

bool Revoke(uint64_t id) { return Broker::Get().Revoke(id); }

size_t LiveExports() { return Broker::Get().Live(); }

bool BrokerRunning() { return Broker::Get().Running(); }

size_t BrokerConnections() { return Broker::Get().Held(); }

}  // namespace eshm
