#include "core/libc_floor.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace eshm {
namespace {

// The path glibc's __shm_get_name makes of a name, or its errno.
int ShmPath(const std::string& name, std::string* path) {
  std::string::size_type start = name.find_first_not_of('/');
  if (start == std::string::npos) return EINVAL;
  std::string rest = name.substr(start);
  if (rest.find('/') != std::string::npos) return EINVAL;
  if (rest.size() > NAME_MAX) return ENAMETOOLONG;
  *path = "/dev/shm/" + rest;
  return 0;
}

}  // namespace

int FileStatus(int fd, struct stat* out) {
  return static_cast<int>(syscall(SYS_fstat, fd, out));
}

int ShmOpen(const std::string& name, int flags, mode_t mode) {
  std::string path;
  if (int err = ShmPath(name, &path)) {
    errno = err;
    return -1;
  }
  int fd = open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno == EISDIR) errno = EINVAL;
  return fd;
}

int ShmUnlink(const std::string& name) {
  std::string path;
  if (int err = ShmPath(name, &path)) {
    errno = err == EINVAL ? ENOENT : err;  // no file can have such a name
    return -1;
  }
  int result = unlink(path.c_str());
  if (result < 0 && errno == EPERM) errno = EACCES;
  return result;
}

}  // namespace eshm

// The C++ runtime, linked into the addon (CMakeLists.txt), calls glibc
// under names that a glibc newer than 2.28 versions anew: pthread_create
// and pthread_join moved from libpthread into libc in 2.34 (as
// GLIBC_2.34, the old versions kept beside), and __libc_single_threaded
// appeared in 2.32. The addon is linked with --wrap for each, which sends
// every reference to the __wrap_ definitions below; they bind the
// versions every glibc has. (References from our own code and from the
// static C++ runtime alike: a .symver alone would reach only ours.)
#if defined(__x86_64__)
#define ESHM_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define ESHM_GLIBC_BASE "GLIBC_2.17"
#endif

#if defined(ESHM_GLIBC_BASE) && defined(__GLIBC__)
#include <pthread.h>

__asm__(".symver pthread_create, pthread_create@" ESHM_GLIBC_BASE);
__asm__(".symver pthread_join, pthread_join@" ESHM_GLIBC_BASE);

extern "C" {

int __wrap_pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  return pthread_create(thread, attr, start, arg);
}

int __wrap_pthread_join(pthread_t thread, void** result) {
  return pthread_join(thread, result);
}

// glibc sets it while a process has only one thread, so that the C++
// runtime may skip atomic operations; 0 always takes them: correct, and
// an addon runs in a process with threads anyway.
char __wrap___libc_single_threaded = 0;

}  // extern "C"
#endif
