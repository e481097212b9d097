// Placing shared pages at a fixed address and taking them away again.
// POSIX implementation in mapping_posix.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "core/status.h"

namespace eshm {

size_t PageSize();

// Puts shared pages over [addr, addr + length) (page-aligned; length
// rounded up to whole pages) by calling `attach`, an mmap or shmat at
// exactly that address that replaces the pages there, and keeps the
// process clear of vm.max_map_count (core/map_count.h): it refuses with
// ENOMEM, touching nothing, while the map-count reserve cannot be whole,
// and gives the reserve back when the process reaches the limit. A failed
// attach (the kernel refuses one at the limit before it changes anything)
// leaves the old pages; if it left a hole instead, private pages fill it.
// ENOMEM caused by the limit carries `limit` "vm.max_map_count".
Status PlaceSharedAt(void* addr, size_t length, const std::function<Status()>& attach);

// Maps [offset, offset + length) of fd at exactly `addr`, replacing the
// private pages there (MAP_SHARED | MAP_FIXED), through PlaceSharedAt.
// `addr` and `offset` must be page-aligned; length is rounded up to whole
// pages. The caller owns the range: whatever was mapped there is gone.
// With `populate`, the page tables are filled now (MAP_POPULATE), so that
// the first touch of each page later costs no fault.
Status MapSharedAt(void* addr, size_t length, int fd, uint64_t offset, bool read_only, bool populate = false);

// Puts fresh, zeroed private pages back over [addr, addr + length), which a
// MapSharedAt call filled; after it nothing at that range is shared. At
// vm.max_map_count (the kernel then refuses the new mapping) it gives back
// the map-count reserve, part by part, until the kernel accepts; replacing
// whole mappings needs no split, so one part is enough. Fails (ENOMEM,
// `limit` "vm.max_map_count") only when the reserve is spent too; then
// the range is as it was: still shared.
Status RestorePrivateAt(void* addr, size_t length);

// Whether every page of [addr, addr + length) is mapped (no hole).
bool RangeIsMapped(void* addr, size_t length);

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
