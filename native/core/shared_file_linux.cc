#include "core/shared_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace eshm {
namespace {

Status Resize(int fd, uint64_t size) {
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) return Status::Sys("ftruncate");
  return Status::Ok();
}

Status CreateMemfd(uint64_t size, UniqueFd* out) {
  UniqueFd fd(memfd_create("electron-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return Status::Sys("memfd_create");
  Status s = Resize(fd.get(), size);
  if (!s.ok()) return s;
  // Nobody may shrink the memory under another process's mapping: a shrink
  // would turn that process's reads into SIGBUS.
  if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK) != 0) return Status::Sys("fcntl(F_ADD_SEALS)");
  *out = std::move(fd);
  return Status::Ok();
}

std::string RandomName(const std::string& dir) {
  unsigned char bytes[8] = {};
  // getrandom(2) with a small buffer does not fail short once the pool is up.
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    for (auto& b : bytes) b = static_cast<unsigned char>(rand());
  }
  char name[40];
  std::snprintf(name, sizeof name, "electron-shm-anon-%02x%02x%02x%02x%02x%02x%02x%02x",
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]);
  return dir + "/" + name;
}

Status CreateUnlinkedFile(uint64_t size, const std::string& dir, UniqueFd* out) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string path = RandomName(dir);
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) {
      if (errno == EEXIST) continue;
      return Status::Sys("open", errno, dir);
    }
    // The name goes first, before anything else can fail: from here on the
    // memory is reachable only through descriptors.
    if (unlink(path.c_str()) != 0) return Status::Sys("unlink", errno, path);
    Status s = Resize(fd.get(), size);
    if (!s.ok()) return s;
    *out = std::move(fd);
    return Status::Ok();
  }
  return Status::Sys("open", EEXIST, dir);
}

}  // namespace

Status CreateAnonymousFile(uint64_t size, const std::string& dir, bool allow_memfd,
                           UniqueFd* out) {
  if (allow_memfd) {
    Status s = CreateMemfd(size, out);
    // Only a kernel or sandbox that refuses memfd sends us to the file path;
    // any other failure (ENOMEM, EMFILE, EFBIG) is the caller's to see.
    if (s.ok() || (s.err != ENOSYS && s.err != EPERM && s.err != EACCES) ||
        std::string(s.syscall) != "memfd_create") {
      return s;
    }
  }
  return CreateUnlinkedFile(size, dir, out);
}

Status SealFutureWrites(int fd) {
  int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    if (errno == EINVAL) return Status::Sys("fcntl(F_GET_SEALS)", ENOTSUP, "the memory is not a memfd");
    return Status::Sys("fcntl(F_GET_SEALS)");
  }
  if (seals & F_SEAL_SEAL) return Status::Sys("fcntl(F_ADD_SEALS)", ENOTSUP, "the memory accepts no seals");
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) != 0) return Status::Sys("fcntl(F_ADD_SEALS)");
  return Status::Ok();
}

Status Preallocate(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Status::Sys("fstat");
  int err;
  do {
    err = posix_fallocate(fd, 0, st.st_size);
  } while (err == EINTR);
  // A file system without fallocate still works; its pages come at first touch.
  if (err != 0 && err != EOPNOTSUPP) return Status::Sys("fallocate", err);
  return Status::Ok();
}

Status ReopenReadOnly(int fd, UniqueFd* out) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  UniqueFd ro(open(path, O_RDONLY | O_CLOEXEC));
  if (!ro.valid()) return Status::Sys("open", errno, path);
  *out = std::move(ro);
  return Status::Ok();
}

Status DescribeFile(int fd, FileInfo* out) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Status::Sys("fstat");
  if (!S_ISREG(st.st_mode)) return Status::Sys("fstat", EINVAL, "not a shared memory file");
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return Status::Sys("fcntl(F_GETFL)");
  int seals = fcntl(fd, F_GET_SEALS);
  out->size = static_cast<uint64_t>(st.st_size);
  out->read_only = (flags & O_ACCMODE) == O_RDONLY;
  out->sealable = seals >= 0 && !(seals & F_SEAL_SEAL);
  out->write_sealed = seals >= 0 && (seals & (F_SEAL_FUTURE_WRITE | F_SEAL_WRITE));
  return Status::Ok();
}

Status AdoptInheritedFd(int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return Status::Sys("fcntl(F_GETFD)");
  if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) return Status::Sys("fcntl(F_SETFD)");
  return Status::Ok();
}

}  // namespace eshm
