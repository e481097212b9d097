#include "core/mapping.h"

#include <sys/mman.h>
#include <unistd.h>

namespace eshm {

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

Status MapSharedAt(void* addr, size_t length, int fd, uint64_t offset, bool read_only, bool populate) {
  int prot = read_only ? PROT_READ : PROT_READ | PROT_WRITE;
  int flags = MAP_SHARED | MAP_FIXED | (populate ? MAP_POPULATE : 0);
  void* got = mmap(addr, RoundUpToPage(length), prot, flags, fd,
                   static_cast<off_t>(offset));
  if (got == MAP_FAILED) {
    Status failed = Status::Sys("mmap");
    // A failed MAP_FIXED may already have removed the old pages; the caller's
    // range must never be left with a hole in it.
    RestorePrivateAt(addr, length);
    return failed;
  }
  return Status::Ok();
}

Status RestorePrivateAt(void* addr, size_t length) {
  void* got = mmap(addr, RoundUpToPage(length), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (got == MAP_FAILED) return Status::Sys("mmap");
  return Status::Ok();
}

Status UnmapRange(void* addr, size_t length) {
  if (munmap(addr, RoundUpToPage(length)) != 0) return Status::Sys("munmap");
  return Status::Ok();
}

Status LockRange(void* addr, size_t length) {
  if (mlock(addr, length) != 0) return Status::Sys("mlock");
  return Status::Ok();
}

Status UnlockRange(void* addr, size_t length) {
  if (munlock(addr, length) != 0) return Status::Sys("munlock");
  return Status::Ok();
}

}  // namespace eshm
