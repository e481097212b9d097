#include "core/shared_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdio>

#include "core/libc_floor.h"
#include "core/mapping.h"

// Older C libraries lack the name; the kernel (5.14+) knows the number.
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

namespace eshm {
namespace {

Status Resize(int fd, uint64_t size) {
  if (ftruncate(fd, static_cast<off_t>(size)) != 0) return Status::Sys("ftruncate");
  return Status::Ok();
}

Status CreateMemfd(uint64_t size, bool growable, UniqueFd* out) {
  UniqueFd fd(memfd_create("electron-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return Status::Sys("memfd_create");
  Status s = Resize(fd.get(), size);
  if (!s.ok()) return s;
  // Nobody may shrink the memory under another process's mapping (a shrink
  // turns that process's reads into SIGBUS), nor grow it (memory charged to
  // the creator, and a size that no longer matches its handles). F_SEAL_SEAL
  // waits for SealForSharing: a read-only export still has a seal to add.
  const int seals = F_SEAL_SHRINK | (growable ? 0 : F_SEAL_GROW);
  if (fcntl(fd.get(), F_ADD_SEALS, seals) != 0) return Status::Sys("fcntl(F_ADD_SEALS)");
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

Status CreateUnlinkedFile(uint64_t size, const std::string& dir, bool growable, UniqueFd* out) {
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
    // A file takes no seals; what keeps an importer of this user from
    // reopening it for writing through /proc/<pid>/fd is its mode. This
    // descriptor was opened read-write before and stays so.
    if (fchmod(fd.get(), growable ? 0400 : 0) != 0) return Status::Sys("fchmod");
    Status s = Resize(fd.get(), size);
    if (s.ok()) s = Reserve(fd.get());
    if (!s.ok()) return s;
    *out = std::move(fd);
    return Status::Ok();
  }
  return Status::Sys("open", EEXIST, dir);
}

// Reads every page of a file in through a temporary read-only mapping:
// reading a hole of a tmpfs file through a shared mapping allocates its
// page, and MADV_POPULATE_READ reports a page that cannot be had (EFAULT)
// where a touch would have been a SIGBUS. `missing` bytes have no page yet.
Status PopulateReadOnly(int fd, uint64_t size, uint64_t missing) {
  struct statfs fs;
  if (fstatfs(fd, &fs) != 0) return Status::Sys("fstatfs");
  // A tmpfs without a size limit reports no blocks at all.
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_bsize;
  if (fs.f_blocks != 0 && missing > free_bytes) {
    return Status::Sys("madvise(MADV_POPULATE_READ)", ENOSPC,
                       std::to_string(missing) + " bytes of the memory have no page yet, and its file system has " +
                           std::to_string(free_bytes) + " bytes free");
  }
  void* addr = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) return Status::Sys("mmap");
  int result;
  while ((result = madvise(addr, size, MADV_POPULATE_READ)) != 0 && (errno == EINTR || errno == EAGAIN)) {
  }
  const int err = result == 0 ? 0 : errno;
  munmap(addr, size);
  if (err == 0 || err == EINVAL) return Status::Ok();  // EINVAL: a kernel before 5.14, nothing to do
  if (err == EFAULT) {
    return Status::Sys("madvise(MADV_POPULATE_READ)", ENOSPC, "A page of the memory could not be allocated");
  }
  return Status::Sys("madvise(MADV_POPULATE_READ)", err);
}

// Whether the descriptor is of a memfd. Not told by F_GET_SEALS, which
// also answers for every tmpfs file (with F_SEAL_SEAL) but by the name the
// kernel gives every memfd, "memfd:<name>".
bool IsMemfd(int fd) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  char link[16] = {};
  ssize_t n = readlink(path, link, sizeof link - 1);
  return n >= 7 && std::string(link, 7) == "/memfd:";
}

}  // namespace

Status CreateAnonymousFile(uint64_t size, const std::string& dir, bool allow_memfd, UniqueFd* out,
                           bool growable) {
  if (allow_memfd) {
    Status s = CreateMemfd(size, growable, out);
    // Only a kernel or sandbox that refuses memfd sends us to the file path;
    // any other failure (ENOMEM, EMFILE, EFBIG) is the caller's to see.
    if (s.ok() || (s.err != ENOSYS && s.err != EPERM && s.err != EACCES) ||
        std::string(s.syscall) != "memfd_create") {
      return s;
    }
  }
  return CreateUnlinkedFile(size, dir, growable, out);
}

Status SealForSharing(int fd, bool read_only) {
  const int seals = F_SEAL_SEAL | (read_only ? F_SEAL_FUTURE_WRITE : 0);
  if (fcntl(fd, F_ADD_SEALS, seals) == 0) return Status::Ok();
  if (errno == EINVAL) return Status::Sys("fcntl(F_ADD_SEALS)", ENOTSUP, "The memory is not a memfd");
  return Status::Sys("fcntl(F_ADD_SEALS)");
}

Status Reserve(int fd) {
  struct stat st;
  if (FileStatus(fd, &st) != 0) return Status::Sys("fstat");
  const uint64_t page = PageSize();
  const uint64_t needed = (static_cast<uint64_t>(st.st_size) + page - 1) / page * page;
  const uint64_t present = static_cast<uint64_t>(st.st_blocks) * 512;
  if (present >= needed) return Status::Ok();
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return Status::Sys("fcntl(F_GETFL)");
  if ((flags & O_ACCMODE) == O_RDONLY) return PopulateReadOnly(fd, st.st_size, needed - present);
  return ReserveFirst(fd, static_cast<uint64_t>(st.st_size));
}

Status ReserveFirst(int fd, uint64_t length) {
  int err;
  do {
    err = posix_fallocate(fd, 0, static_cast<off_t>(length));
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
  if (FileStatus(fd, &st) != 0) return Status::Sys("fstat");
  if (!S_ISREG(st.st_mode)) return Status::Sys("fstat", EINVAL, "The descriptor is not of a shared memory file");
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return Status::Sys("fcntl(F_GETFL)");
  int seals = fcntl(fd, F_GET_SEALS);
  out->size = static_cast<uint64_t>(st.st_size);
  out->read_only = (flags & O_ACCMODE) == O_RDONLY;
  out->memfd = IsMemfd(fd);
  out->write_sealed = seals >= 0 && (seals & (F_SEAL_FUTURE_WRITE | F_SEAL_WRITE));
  out->seals_final = seals >= 0 && (seals & F_SEAL_SEAL);
  out->shrink_sealed = seals >= 0 && (seals & F_SEAL_SHRINK);
  out->grow_sealed = seals >= 0 && (seals & F_SEAL_GROW);
  return Status::Ok();
}

Status AdoptInheritedFd(int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return Status::Sys("fcntl(F_GETFD)");
  if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) return Status::Sys("fcntl(F_SETFD)");
  return Status::Ok();
}

}  // namespace eshm
