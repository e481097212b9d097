// The importer's side of core/broker.h: Fetch asks an exporter's broker
// for its memory (docs/handle-format.md, "The protocol"). One deadline
// covers the whole exchange; no call in it waits past that deadline.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <string>

#include "core/broker.h"
#include "core/broker_socket_linux.h"
#include "core/broker_wire.h"

namespace eshm {
namespace {

// While the broker is full (kBusy) or its backlog is (EAGAIN), the
// importer tries again this often until its deadline.
constexpr int kRetryMs = 5;

struct Deadline {
  int64_t at_ms;
  int timeout_ms;  // as asked for, for messages
  int RemainingMs() const { return static_cast<int>(std::max<int64_t>(0, at_ms - NowMs())); }
};

Status NoAnswer(const char* syscall, const Deadline& deadline, const std::string& why) {
  Status s = Status::Own("ETIMEDOUT", "The exporting process did not answer within " +
                                          std::to_string(deadline.timeout_ms) + " ms" + why);
  s.syscall = syscall;
  s.err = ETIMEDOUT;
  return s;
}

// The broker closes its socket when its last export ends; a connection
// still waiting in its backlog is then reset. That import was too late.
Status StoppedBeforeAnswer(const char* syscall, int err) {
  Status s = Status::Own("ERR_HANDLE_REVOKED",
                         "The exporting process stopped sharing before it answered: the handle was revoked, "
                         "used up, or its map closed");
  if (err != 0) {
    s.syscall = syscall;
    s.err = err;
  }
  return s;
}

Status Refusal(const BrokerReply& reply, const Deadline& deadline) {
  switch (reply.status) {
    case ReplyStatus::kUnknown:
      return Status::Own("ERR_HANDLE_INVALID", "The exporting process has no export with that id and secret");
    case ReplyStatus::kRevoked:
      return Status::Own("ERR_HANDLE_REVOKED", "The handle was revoked, already used, or its map was closed");
    case ReplyStatus::kWrongUid:
      return Status::Own("EACCES", "The exporting process shares only with processes of its own user");
    case ReplyStatus::kWrongPid:
      return Status::Own("EACCES", "The handle is bound to another process");
    case ReplyStatus::kInFlight:
      return Status::Own("ERR_HANDLE_REVOKED",
                         "Another process is importing this once handle right now; it is used up when that "
                         "import completes");
    case ReplyStatus::kTooSlow:
      return NoAnswer("sendmsg", deadline,
                      ": it gave up waiting for this process's request, which was stalled for over a second");
    case ReplyStatus::kNoDescriptors:
      return Status::Sys("accept4", static_cast<int>(reply.value),
                         "The exporting process has no descriptor free to take the connection");
    default:
      return Status::Own("ERR_HANDLE_INVALID", "The exporting process did not understand the request");
  }
}

// Waits until `fd` is ready for `events`; false when the deadline passed.
bool WaitReady(int fd, short events, const Deadline& deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, deadline.RemainingMs());
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the next call report it
  }
}

void Rest(const Deadline& deadline) { poll(nullptr, 0, std::min(kRetryMs, deadline.RemainingMs())); }

Status Connect(const ExportTicket& ticket, const Deadline& deadline, UniqueFd* out) {
  UniqueFd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return Status::Sys("socket");
  sockaddr_un addr;
  socklen_t len = BrokerAddress(ticket.broker_pid, ticket.nonce, &addr);
  // A Unix stream connect never waits when nonblocking: it succeeds, or
  // fails with EAGAIN while the broker's backlog is full.
  while (connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    if (errno == ECONNREFUSED || errno == ENOENT) {
      Status s = Status::Own("ERR_HANDLE_REVOKED",
                             "No process shares memory at that handle's address: the exporter ended or "
                             "revoked all its handles");
      s.syscall = "connect";
      s.err = errno;
      return s;
    }
    if (errno != EAGAIN && errno != EINTR) return Status::Sys("connect");
    if (deadline.RemainingMs() == 0) return NoAnswer("connect", deadline, ": its backlog stayed full");
    Rest(deadline);
  }
  // Only the exporting process itself may answer: anything else bound to
  // that name (it would have to guess the random part) is not trusted.
  ucred peer{};
  socklen_t peer_len = sizeof peer;
  if (getsockopt(sock.get(), SOL_SOCKET, SO_PEERCRED, &peer, &peer_len) != 0) {
    return Status::Sys("getsockopt(SO_PEERCRED)");
  }
  if (peer.pid != ticket.broker_pid) {
    return Status::Own("ERR_HANDLE_INVALID", "The process answering at the handle's address is not its exporter");
  }
  *out = std::move(sock);
  return Status::Ok();
}

// Sends the whole request. A broker that refused without reading (another
// uid) may have closed already: then the send fails but its answer waits
// to be read, so a failure is only remembered, in *send_errno.
void SendRequest(int sock, const ExportTicket& ticket, const Deadline& deadline, int* send_errno) {
  uint8_t bytes[kRequestSize];
  BrokerRequest request;
  request.id = ticket.id;
  request.secret = ticket.secret;
  EncodeRequest(request, bytes);
  *send_errno = 0;
  size_t sent = 0;
  while (sent < sizeof bytes) {
    ssize_t n = send(sock, bytes + sent, sizeof bytes - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
    } else if (errno == EAGAIN) {
      if (!WaitReady(sock, POLLOUT, deadline)) {
        *send_errno = EAGAIN;
        return;
      }
    } else if (errno != EINTR) {
      *send_errno = errno;
      return;
    }
  }
}

struct Answered {
  BrokerReply reply;
  std::vector<UniqueFd> fds;
  bool truncated = false;  // the kernel dropped descriptors it could not install (MSG_CTRUNC)
};

void TakeDescriptors(msghdr* msg, Answered* out) {
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      out->fds.emplace_back(fd);
    }
  }
  if (msg->msg_flags & MSG_CTRUNC) out->truncated = true;
}

Status ReceiveReply(int sock, const Deadline& deadline, int send_errno, Answered* out) {
  uint8_t bytes[kReplySize];
  size_t got = 0;
  for (;;) {
    iovec iov{bytes + got, sizeof bytes - got};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxExportFds)] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        if (WaitReady(sock, POLLIN, deadline)) continue;
        return send_errno == EAGAIN ? NoAnswer("sendmsg", deadline, "") : NoAnswer("recvmsg", deadline, "");
      }
      if (errno == ECONNRESET) return StoppedBeforeAnswer("recvmsg", errno);
      return Status::Sys("recvmsg");
    }
    TakeDescriptors(&msg, out);
    if (n == 0) {
      if (got == 0) return StoppedBeforeAnswer(send_errno != 0 ? "sendmsg" : "", send_errno);
      return Status::Own("ERR_HANDLE_INVALID", "The exporting process's answer was cut short");
    }
    got += static_cast<size_t>(n);
    switch (ParseReply(bytes, got, &out->reply)) {
      case Parse::kComplete:
        return Status::Ok();
      case Parse::kNeedMore:
        continue;
      case Parse::kMalformed:
        return Status::Own("ERR_HANDLE_INVALID",
                           "The exporting process answered in another protocol (an older electron-shm?)");
    }
  }
}

// The broker granted `expected` descriptors but fewer arrived. The kernel
// installs SCM_RIGHTS descriptors at recvmsg and drops, without an error,
// those it has no room for (MSG_CTRUNC): tell that apart by asking for as
// many descriptors now.
Status Undelivered(int sock, size_t expected) {
  std::vector<UniqueFd> probe;
  int err = 0;
  while (probe.size() < expected) {
    probe.emplace_back(fcntl(sock, F_DUPFD_CLOEXEC, 0));
    if (!probe.back().valid()) {
      err = errno;
      break;
    }
  }
  std::string still_live = "the handle is still live: import it again once descriptors are free";
  if (err == EMFILE || err == ENFILE) {
    return Status::Sys("recvmsg", err,
                       "No descriptor free for the " + std::to_string(expected) +
                           " descriptor(s) of the memory, so the kernel dropped them; " + still_live);
  }
  return Status::Own("ERR_HANDLE_INVALID",
                     "The descriptors of the memory did not arrive (the kernel dropped them); " + still_live);
}

// Waits, until the deadline, for the broker to close the connection: it
// has then settled the import (used a `once` export up, or let it go).
void AwaitClose(int sock, const Deadline& deadline) {
  uint8_t byte;
  while (WaitReady(sock, POLLIN, deadline)) {
    ssize_t n = recv(sock, &byte, sizeof byte, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return;
  }
}

// Only now may a `once` export be used up: its memory is here. Then waits
// for the broker to close, which it does once it has taken the
// confirmation in, so that a `once` handle is used up by the time the
// import returns. A broker that granted an export that is not `once` has
// closed already and needs no confirmation: the send then fails, unheeded.
void Confirm(int sock, const Deadline& deadline) {
  uint8_t confirm[kConfirmSize];
  EncodeConfirm(confirm);
  if (send(sock, confirm, sizeof confirm, MSG_NOSIGNAL | MSG_DONTWAIT) != static_cast<ssize_t>(sizeof confirm)) return;
  AwaitClose(sock, deadline);
}

// One connection's try. *busy when the broker was full: try again.
Status FetchOnce(const ExportTicket& ticket, const Deadline& deadline, Received* out, bool* busy) {
  UniqueFd sock;
  Status s = Connect(ticket, deadline, &sock);
  if (!s.ok()) return s;
  int send_errno = 0;
  SendRequest(sock.get(), ticket, deadline, &send_errno);
  Answered answered;
  s = ReceiveReply(sock.get(), deadline, send_errno, &answered);
  if (!s.ok()) return s;
  const BrokerReply& reply = answered.reply;
  if (reply.status == ReplyStatus::kBusy) {
    *busy = true;
    return NoAnswer("recvmsg", deadline, ": it was serving as many connections as it holds");
  }
  if (reply.status != ReplyStatus::kGranted) return Refusal(reply, deadline);
  if (answered.truncated || answered.fds.size() != reply.value) {
    answered.fds.clear();
    s = Undelivered(sock.get(), reply.value);
    // No confirmation: the broker lets a `once` export go when it sees the
    // connection end. Waiting for that means that an import tried again
    // right after this one fails does not find it still under way.
    shutdown(sock.get(), SHUT_WR);
    AwaitClose(sock.get(), deadline);
    return s;
  }
  Confirm(sock.get(), deadline);
  out->fd = std::move(answered.fds.front());
  out->companions.assign(std::make_move_iterator(answered.fds.begin() + 1),
                         std::make_move_iterator(answered.fds.end()));
  return Status::Ok();
}

}  // namespace

Status Fetch(const ExportTicket& ticket, int timeout_ms, Received* out) {
  Deadline deadline{NowMs() + timeout_ms, timeout_ms};
  for (;;) {
    bool busy = false;
    Status s = FetchOnce(ticket, deadline, out, &busy);
    if (!busy || deadline.RemainingMs() == 0) return s;
    Rest(deadline);
  }
}

}  // namespace eshm
