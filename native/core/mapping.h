// Placing shared pages at a fixed address and taking them away again.
// POSIX implementation in mapping_posix.cc.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"

namespace eshm {

size_t PageSize();

// Maps [offset, offset + length) of fd at exactly `addr`, replacing the
// private pages there (MAP_SHARED | MAP_FIXED). `addr` and `offset` must be
// page-aligned; length is rounded up to whole pages. The caller owns the
// range: whatever was mapped there is gone.
// With `populate`, the page tables are filled now (MAP_POPULATE), so that
// the first touch of each page later costs no fault.
Status MapSharedAt(void* addr, size_t length, int fd, uint64_t offset, bool read_only, bool populate = false);

// Puts fresh, zeroed private pages back over [addr, addr + length), which a
// MapSharedAt call filled; after it nothing at that range is shared.
Status RestorePrivateAt(void* addr, size_t length);

// Removes every page of [addr, addr + length) (munmap): a last resort when
// private pages cannot be put back, so that the range is at least no
// longer shared. A later touch of it faults.
Status UnmapRange(void* addr, size_t length);

// Locks or unlocks resident pages of a range (mlock / munlock).
Status LockRange(void* addr, size_t length);
Status UnlockRange(void* addr, size_t length);

inline uint64_t RoundUpToPage(uint64_t n) {
  uint64_t page = PageSize();
  return (n + page - 1) / page * page;
}

}  // namespace eshm
