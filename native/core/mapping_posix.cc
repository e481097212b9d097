#include "core/mapping.h"

#include <sys/mman.h>
#include <unistd.h>

#include <utility>

#include "core/map_count.h"

namespace eshm {
namespace {

constexpr const char* kMapCountLimit = "vm.max_map_count";

// Marks an ENOMEM as the map-count limit's, when the process is at it.
Status NameLimitIfReached(Status s) {
  if (s.err == ENOMEM && !MapCountHasRoom()) {
    s.limit = kMapCountLimit;
    s.detail =
        "This process has as many mappings as vm.max_map_count allows (the kernel's limit on mappings per "
        "process): unmap views or close maps, or raise the limit";
  }
  return s;
}

}  // namespace

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

Status PlaceSharedAt(void* addr, size_t length, const std::function<Status()>& attach) {
  if (!HoldMapCountReserve()) {
    Status refused = Status::Own(
        "ENOMEM",
        "This process is too near vm.max_map_count (the kernel's limit on mappings per process) to map more "
        "shared memory: unmap views or close maps, or raise the limit");
    refused.limit = kMapCountLimit;
    return refused;
  }
  Status s = attach();
  if (s.ok()) {
    // This placement may have taken the process to the limit (a split in
    // the middle of a mapping adds two): the reserve's room is the
    // process's now, and the next placement waits for room to hold it.
    if (!MapCountHasRoom()) ReleaseMapCountReserve();
    return s;
  }
  s = NameLimitIfReached(std::move(s));
  if (s.err == ENOMEM) ReleaseMapCountReserve();
  // The kernel checks the limit before it changes anything, but a MAP_FIXED
  // that fails later may have removed the old pages; the caller's range
  // must never be left with a hole in it.
  if (!RangeIsMapped(addr, length)) RestorePrivateAt(addr, length);
  return s;
}

Status MapSharedAt(void* addr, size_t length, int fd, uint64_t offset, bool read_only, bool populate) {
  const int prot = read_only ? PROT_READ : PROT_READ | PROT_WRITE;
  const int flags = MAP_SHARED | MAP_FIXED | (populate ? MAP_POPULATE : 0);
  return PlaceSharedAt(addr, length, [&] {
    void* got = mmap(addr, RoundUpToPage(length), prot, flags, fd, static_cast<off_t>(offset));
    return got == MAP_FAILED ? Status::Sys("mmap") : Status::Ok();
  });
}

Status RestorePrivateAt(void* addr, size_t length) {
  for (;;) {
    void* got = mmap(addr, RoundUpToPage(length), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (got != MAP_FAILED) return Status::Ok();
    Status failed = Status::Sys("mmap");
    // The kernel refuses a new mapping while the process has more than
    // vm.max_map_count (a placement may leave it one over): each part of
    // the reserve given back is two fewer.
    if (failed.err != ENOMEM || !ReleaseMapCountReservePart()) return NameLimitIfReached(std::move(failed));
  }
}

bool RangeIsMapped(void* addr, size_t length) {
  // msync fails with ENOMEM when part of the range is not mapped; with
  // MS_ASYNC it writes nothing back.
  return msync(addr, RoundUpToPage(length), MS_ASYNC) == 0;
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
