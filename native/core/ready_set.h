// A set of descriptors watched for readability through one descriptor of
// its own, which is readable while any member is ready: an event loop
// watches that one (the binding's uv_poll, binding/watcher_js.h) and asks
// the set which members woke. Each member carries a token that names it to
// the caller. Linux implementation (epoll) in ready_set_linux.cc.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/status.h"
#include "core/unique_fd.h"

namespace eshm {

enum class ReadyMode {
  // A wake socket (core/wake_socket.h): emptied each time it is reported,
  // and watched until removed.
  kDrain,
  // Any other descriptor (a pidfd, a semaphore's eventfd): reported once,
  // then not again until added again.
  kOnce,
};

class ReadySet {
 public:
  // Makes the set's own descriptor (close-on-exec). The error of
  // epoll_create1.
  Status Open();
  bool is_open() const { return epoll_.valid(); }
  // Readable while a member is ready; -1 before Open and after Close.
  int fd() const { return epoll_.get(); }

  // Watches `fd`, or changes the token and mode of a member. The error of
  // epoll_ctl (EBADF for a closed descriptor, EPERM for a regular file).
  Status Add(int fd, uint32_t token, ReadyMode mode);
  // Stops watching `fd`; nothing for a descriptor that is no member. Call
  // it before closing a member.
  void Remove(int fd);

  // The tokens of the members ready now, without waiting, their wake
  // sockets emptied. Empty when none is, or the set is closed.
  std::vector<uint32_t> TakeReady();

  // Closes the set's descriptor and forgets every member.
  void Close();

 private:
  struct Member {
    uint32_t token;
    ReadyMode mode;
  };

  UniqueFd epoll_;
  std::map<int, Member> members_;
};

}  // namespace eshm
