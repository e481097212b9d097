#include "core/broker_socket_linux.h"

#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/broker.h"

namespace eshm {

socklen_t BrokerAddress(pid_t pid, const std::string& nonce, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  // sun_path[0] == '\0' puts the name in the abstract namespace.
  int n = std::snprintf(addr->sun_path + 1, sizeof addr->sun_path - 1, "electron-shm/%d/%s",
                        static_cast<int>(pid), nonce.c_str());
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
}

bool SendNow(int fd, const void* data, size_t len, const int* fds, size_t fd_count) {
  if (fd_count > kMaxExportFds) {
    errno = EINVAL;
    return false;
  }
  iovec iov{const_cast<void*>(data), len};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxExportFds)] = {};
  if (fd_count > 0) {
    size_t bytes = sizeof(int) * fd_count;
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(bytes);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(bytes);
    std::memcpy(CMSG_DATA(c), fds, bytes);
  }
  ssize_t n;
  do {
    n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(len);
}

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace eshm
