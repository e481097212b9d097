#include "core/semaphore.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace eshm {
namespace {

// The kernel's word for the descriptor's file (/proc/self/fd) and, where it
// says so (Linux 6.6 and later), whether it is in semaphore mode.
bool ReadProcLink(int fd, std::string* out) {
  char path[64], target[64];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, target, sizeof target - 1);
  if (n < 0) return false;
  out->assign(target, static_cast<size_t>(n));
  return true;
}

// -1: fdinfo does not say; 0 or 1 otherwise.
int SemaphoreModeFromFdinfo(int fd) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  UniqueFd info(open(path, O_RDONLY | O_CLOEXEC));
  if (!info.valid()) return -1;
  char text[512];
  ssize_t n = read(info.get(), text, sizeof text - 1);
  if (n <= 0) return -1;
  text[n] = '\0';
  const char* field = std::strstr(text, "eventfd-semaphore:");
  if (field == nullptr) return -1;
  field += std::strlen("eventfd-semaphore:");
  while (*field == ' ' || *field == '\t') ++field;
  return *field == '1' ? 1 : 0;
}

// Sets O_NONBLOCK again where a peer cleared it: the fallback's only guard.
Status EnsureNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return Status::Sys("fcntl");
  if ((flags & O_NONBLOCK) == 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return Status::Sys("fcntl");
  return Status::Ok();
}

}  // namespace

Status CreateSemaphore(uint32_t initial, UniqueFd* out) {
  int fd = eventfd(initial, EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return Status::Sys("eventfd");
  out->reset(fd);
  return Status::Ok();
}

Status CheckSemaphore(int fd) {
  std::string target;
  if (!ReadProcLink(fd, &target)) return Status::Sys("readlink");
  if (target != "anon_inode:[eventfd]") {
    return Status::Own("ERR_HANDLE_INVALID", "The semaphore received is not an eventfd");
  }
  if (SemaphoreModeFromFdinfo(fd) == 0) {
    return Status::Own("ERR_HANDLE_INVALID", "The eventfd received is not in semaphore mode: a wait would take every post at once");
  }
  return EnsureNonBlocking(fd);
}

Status PostSemaphore(int fd, uint64_t count) {
  const Status full = Status::Own("EOVERFLOW", "The semaphore's count would pass its maximum (2^64 - 2): nothing was posted");
  // Writable means the count is below its maximum; at it, a write would
  // wait for a take (or, non-blocking, fail).
  pollfd p{fd, POLLOUT, 0};
  int ready = poll(&p, 1, 0);
  if (ready < 0) return Status::Sys("poll");
  if (ready == 0 || (p.revents & POLLOUT) == 0) return full;
  Status s = EnsureNonBlocking(fd);
  if (!s.ok()) return s;
  if (write(fd, &count, sizeof count) == static_cast<ssize_t>(sizeof count)) return Status::Ok();
  return errno == EAGAIN ? full : Status::Sys("write");
}

Status TryTakeSemaphore(int fd, bool* taken) {
  uint64_t value = 0;
  iovec iov{&value, sizeof value};
  ssize_t n = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
  if (n < 0 && errno == EOPNOTSUPP) {
    Status s = EnsureNonBlocking(fd);
    if (!s.ok()) return s;
    n = read(fd, &value, sizeof value);
  }
  if (n == static_cast<ssize_t>(sizeof value)) {
    *taken = true;
    return Status::Ok();
  }
  if (n < 0 && errno == EAGAIN) {
    *taken = false;
    return Status::Ok();
  }
  return Status::Sys("read");
}

}  // namespace eshm
