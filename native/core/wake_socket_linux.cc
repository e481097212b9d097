#include "core/wake_socket.h"

#include <sys/socket.h>

namespace eshm {

Status CreateWakePair(UniqueFd* receive, UniqueFd* send) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) != 0) return Status::Sys("socketpair");
  receive->reset(pair[0]);
  send->reset(pair[1]);
  return Status::Ok();
}

Status CheckWakeSocket(int fd) {
  int domain = 0, type = 0;
  socklen_t size = sizeof domain;
  bool is_socket = getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) == 0;
  size = sizeof type;
  is_socket = is_socket && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0;
  if (!is_socket || domain != AF_UNIX || type != SOCK_DGRAM) {
    return Status::Own("ERR_HANDLE_INVALID", "The frame channel came with a wake descriptor that is not a wake socket");
  }
  return Status::Ok();
}

void SendWake(int fd) {
  const char wake = 1;
  ssize_t ignored = send(fd, &wake, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
  (void)ignored;
}

void DrainWakes(int fd) {
  char buf[16];
  for (int i = 0; i < 64; ++i) {
    if (recv(fd, buf, sizeof buf, MSG_DONTWAIT) < 0) return;
  }
}

}  // namespace eshm
