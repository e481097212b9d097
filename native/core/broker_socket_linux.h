// What the broker's server (broker_server_linux.cc) and its client
// (broker_client_linux.cc) share: the socket's name, sending one message
// with descriptors, and a clock for deadlines. Internal to native/core.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace eshm {

// The abstract name "\0electron-shm/<pid>/<nonce>" (no file; gone when the
// socket closes). Returns the address's length.
socklen_t BrokerAddress(pid_t pid, const std::string& nonce, sockaddr_un* addr);

// Sends `data` with `fds` attached as SCM_RIGHTS in one sendmsg, without
// waiting and without SIGPIPE. Returns whether all of `data` went.
bool SendNow(int fd, const void* data, size_t len, const int* fds, size_t fd_count);

// Milliseconds on a clock that never jumps.
int64_t NowMs();

}  // namespace eshm
