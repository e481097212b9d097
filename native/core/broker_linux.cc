#include "core/broker.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>

namespace eshm {
namespace {

// The wire format. A request is exactly one Request; the answer is exactly
// one Reply, carrying the descriptor as SCM_RIGHTS when status is kGranted.
constexpr char kMagic[8] = {'E', 'S', 'H', 'M', 'R', 'Q', '0', '1'};

struct Request {
  char magic[8];
  uint64_t id;
  uint8_t secret[16];
};

enum ReplyStatus : int32_t {
  kGranted = 0,
  kUnknown = 1,     // no export with that id, or a wrong secret
  kRevoked = 2,     // the export existed and has ended
  kWrongUid = 3,
  kWrongPid = 4,
  kBadRequest = 5,
};

struct Reply {
  int32_t status;
};

constexpr int kServeTimeoutMs = 1000;

struct Entry {
  std::vector<UniqueFd> fds;
  Secret secret;
  ExportPolicy policy;
};

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

socklen_t AbstractAddress(pid_t pid, const std::string& nonce, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  // sun_path[0] == '\0' puts the name in the abstract namespace: no file,
  // gone when the socket closes.
  int n = std::snprintf(addr->sun_path + 1, sizeof addr->sun_path - 1, "electron-shm/%d/%s",
                        static_cast<int>(pid), nonce.c_str());
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
}

void SetTimeouts(int fd, int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool SecretsEqual(const uint8_t* a, const uint8_t* b) {
  // Constant time, so the answer's timing tells nothing about the secret.
  uint8_t diff = 0;
  for (size_t i = 0; i < sizeof(Secret); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

bool SendAll(int fd, const void* data, size_t len, const std::vector<int>& pass_fds) {
  iovec iov{const_cast<void*>(data), len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxExportFds)];
  if (!pass_fds.empty()) {
    size_t bytes = sizeof(int) * pass_fds.size();
    std::memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(bytes);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(bytes);
    std::memcpy(CMSG_DATA(c), pass_fds.data(), bytes);
  }
  ssize_t n;
  do {
    n = sendmsg(fd, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(len);
}

bool RecvAll(int fd, void* data, size_t len) {
  auto* p = static_cast<char*>(data);
  while (len > 0) {
    ssize_t n = recv(fd, p, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

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

 private:
  // Binds a fresh socket under a fresh random name. Called with no thread
  // running.
  Status OpenSocket() {
    uint8_t raw[8];
    Status s = RandomBytes(raw, sizeof raw);
    if (!s.ok()) return s;
    char hex[17];
    for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02x", raw[i]);

    UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock.valid()) return Status::Sys("socket");
    sockaddr_un addr;
    socklen_t len = AbstractAddress(getpid(), hex, &addr);
    if (bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) return Status::Sys("bind");
    if (listen(sock.get(), 64) != 0) return Status::Sys("listen");
    UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake.valid()) return Status::Sys("eventfd");

    listen_fd_ = std::move(sock);
    wake_fd_ = std::move(wake);
    nonce_ = hex;
    return Status::Ok();
  }

  void Run() {
    for (;;) {
      pollfd fds[2] = {{listen_fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
      int n = poll(fds, 2, -1);
      bool failed = n < 0 && errno != EINTR;
      if (n > 0 && (fds[0].revents & POLLIN)) {
        UniqueFd conn(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (conn.valid()) Serve(conn.get());
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (failed || stop_ || entries_.empty()) {
        // Closing the socket frees its abstract name: later connects are
        // refused, which importers report as ERR_HANDLE_REVOKED.
        listen_fd_.reset();
        wake_fd_.reset();
        entries_.clear();
        running_ = false;
        return;
      }
    }
  }

  void Serve(int conn) {
    SetTimeouts(conn, kServeTimeoutMs);
    Reply reply{kBadRequest};
    ucred peer{};
    socklen_t peer_len = sizeof peer;
    if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) != 0) {
      SendAll(conn, &reply, sizeof reply, {});
      return;
    }
    // Any uid can connect to an abstract socket. A stranger is answered at
    // once, without waiting for its request, so it cannot hold the broker.
    if (peer.uid != geteuid()) {
      reply.status = kWrongUid;
      SendAll(conn, &reply, sizeof reply, {});
      return;
    }
    Request req;
    if (!RecvAll(conn, &req, sizeof req) || std::memcmp(req.magic, kMagic, sizeof kMagic) != 0) {
      SendAll(conn, &reply, sizeof reply, {});
      return;
    }
    // Decide and send under the lock, so no revocation slips in between.
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(req.id);
    if (it == entries_.end()) {
      reply.status = req.id < next_id_ ? kRevoked : kUnknown;
    } else if (!SecretsEqual(req.secret, it->second.secret.data())) {
      reply.status = kUnknown;
    } else if (it->second.policy.pid != 0 && peer.pid != it->second.policy.pid) {
      reply.status = kWrongPid;
    } else {
      reply.status = kGranted;
    }
    std::vector<int> pass;
    if (reply.status == kGranted) {
      for (const UniqueFd& fd : it->second.fds) pass.push_back(fd.get());
    }
    bool sent = SendAll(conn, &reply, sizeof reply, pass);
    if (sent && reply.status == kGranted && it->second.policy.once) entries_.erase(it);
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
  // Set by OpenSocket with no thread running; read by the thread.
  std::string nonce_;
  UniqueFd listen_fd_;
  UniqueFd wake_fd_;
};

Status RefusalStatus(int32_t status) {
  switch (status) {
    case kUnknown:
      return Status::Own("ERR_HANDLE_INVALID", "the exporting process has no export with that id and secret");
    case kRevoked:
      return Status::Own("ERR_HANDLE_REVOKED", "the handle was revoked, already used, or its map was closed");
    case kWrongUid:
      return Status::Own("EACCES", "the exporting process shares only with processes of its own user");
    case kWrongPid:
      return Status::Own("EACCES", "the handle is bound to another process");
    default:
      return Status::Own("ERR_HANDLE_INVALID", "the exporting process did not understand the request");
  }
}

// The broker closes its socket when its last export ends; a connection
// still waiting in its backlog is then reset. That import was too late.
Status StoppedBeforeAnswer(const char* syscall, int err) {
  Status s = Status::Own("ERR_HANDLE_REVOKED",
                         "the exporting process stopped sharing before it answered: the handle was revoked, "
                         "used up, or its map closed");
  if (err != 0) {
    s.syscall = syscall;
    s.err = err;
  }
  return s;
}

// The socket timeout ran out: the exporter is alive (it accepted or queued
// the connection) but did not answer, e.g. it is stopped or overloaded.
Status NoAnswer(const char* syscall, int timeout_ms) {
  Status s = Status::Own("ETIMEDOUT", "the exporting process did not answer within " +
                                          std::to_string(timeout_ms) + " ms");
  s.syscall = syscall;
  s.err = ETIMEDOUT;
  return s;
}

}  // namespace

Status Export(const std::vector<int>& fds, const ExportPolicy& policy, ExportTicket* out) {
  if (fds.empty() || fds.size() > kMaxExportFds) return Status::Sys("sendmsg", EINVAL);
  return Broker::Get().Export(fds, policy, out);
}

bool Revoke(uint64_t id) { return Broker::Get().Revoke(id); }

size_t LiveExports() { return Broker::Get().Live(); }

bool BrokerRunning() { return Broker::Get().Running(); }

Status Fetch(const ExportTicket& ticket, int timeout_ms, Received* out) {
  UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return Status::Sys("socket");
  SetTimeouts(sock.get(), timeout_ms);
  sockaddr_un addr;
  socklen_t len = AbstractAddress(ticket.broker_pid, ticket.nonce, &addr);
  if (connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    if (errno == ECONNREFUSED || errno == ENOENT) {
      Status s = Status::Own("ERR_HANDLE_REVOKED",
                             "no process shares memory at that handle's address: the exporter ended or "
                             "revoked all its handles");
      s.syscall = "connect";
      s.err = errno;
      return s;
    }
    if (errno == EAGAIN) return NoAnswer("connect", timeout_ms);
    return Status::Sys("connect");
  }
  // Only the exporting process itself may answer: anything else bound to
  // that name (it would have to guess the random part) is not trusted.
  ucred peer{};
  socklen_t peer_len = sizeof peer;
  if (getsockopt(sock.get(), SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) != 0) {
    return Status::Sys("getsockopt(SO_PEERCRED)");
  }
  if (peer.pid != ticket.broker_pid) {
    return Status::Own("ERR_HANDLE_INVALID", "the process answering at the handle's address is not its exporter");
  }

  Request req;
  std::memcpy(req.magic, kMagic, sizeof kMagic);
  req.id = ticket.id;
  std::memcpy(req.secret, ticket.secret.data(), sizeof req.secret);
  // A broker that refuses us without reading (another uid) may have closed
  // already: the send then fails, but its answer is waiting to be read.
  bool request_sent = SendAll(sock.get(), &req, sizeof req, {});
  int send_errno = errno;

  Reply reply{};
  iovec iov{&reply, sizeof reply};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxExportFds)] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(sock.get(), &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && !request_sent) {
    return send_errno == EAGAIN ? NoAnswer("sendmsg", timeout_ms) : StoppedBeforeAnswer("sendmsg", send_errno);
  }
  if (n < 0 && errno == EAGAIN) return NoAnswer("recvmsg", timeout_ms);
  if (n < 0) return errno == ECONNRESET ? StoppedBeforeAnswer("recvmsg", errno) : Status::Sys("recvmsg");
  std::vector<UniqueFd> received;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        received.emplace_back(fd);
      }
    }
  }
  if (n != static_cast<ssize_t>(sizeof reply)) return StoppedBeforeAnswer("", 0);
  if (reply.status != kGranted) return RefusalStatus(reply.status);
  if (received.empty() || (msg.msg_flags & MSG_CTRUNC)) {
    return Status::Own("ERR_HANDLE_INVALID", "the exporting process granted the handle but sent no memory");
  }
  out->fd = std::move(received.front());
  out->companions.assign(std::make_move_iterator(received.begin() + 1), std::make_move_iterator(received.end()));
  return Status::Ok();
}

}  // namespace eshm
