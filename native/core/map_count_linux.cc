#include "core/map_count.h"

#include <sys/mman.h>
#include <sys/prctl.h>

#include <mutex>

#include "core/mapping.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

namespace eshm {
namespace {

// The reserve is one PROT_NONE region of pages that nothing ever touches.
// Slot i is page 2i + 1, the probe page is the one after the last slot,
// and the even pages between them stay PROT_NONE. A held slot is readable:
// different protection from its neighbours, so the kernel keeps it as a
// mapping of its own, and the separator after it is cut off as another:
// two mappings. Giving it back (PROT_NONE again) merges the three pieces
// into one, which needs no new mapping and so works at the limit. Taking
// it needs two splits, which the kernel refuses once the process has
// vm.max_map_count mappings: that refusal is how we see the limit coming,
// without counting the lines of /proc/self/maps.
constexpr size_t kSlots = kMapCountReserve / 2;
constexpr size_t kProbePage = 2 * kSlots + 1;
constexpr size_t kPages = kProbePage + 2;

struct Reserve {
  std::mutex lock;
  char* base = nullptr;  // made on first use
  size_t held = 0;       // slots 0 .. held - 1 are held

  char* Page(size_t index) const { return base + index * PageSize(); }
  bool Protect(size_t index, int prot) const { return mprotect(Page(index), PageSize(), prot) == 0; }

  bool Create() {
    void* got = mmap(nullptr, kPages * PageSize(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (got == MAP_FAILED) return false;
    base = static_cast<char*>(got);
    // A name of its own in /proc/self/maps, and no merging with a
    // neighbour's PROT_NONE pages. Kernels without CONFIG_ANON_VMA_NAME
    // refuse it; the reserve works the same without.
    prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, reinterpret_cast<unsigned long>(base), kPages * PageSize(),
          reinterpret_cast<unsigned long>("electron-shm map-count reserve"));
    return true;
  }

  // Whether two more mappings fit: taking the probe page needs two splits.
  bool Probe() const {
    if (!Protect(kProbePage, PROT_READ)) return false;
    Protect(kProbePage, PROT_NONE);
    return true;
  }

  bool ReleaseOne() {
    if (held == 0 || !Protect(2 * (held - 1) + 1, PROT_NONE)) return false;
    --held;
    return true;
  }
};

Reserve& TheReserve() {
  static Reserve reserve;
  return reserve;
}

}  // namespace

bool HoldMapCountReserve() {
  Reserve& r = TheReserve();
  std::lock_guard<std::mutex> guard(r.lock);
  if (r.base == nullptr && !r.Create()) return false;
  if (r.held == kSlots) return true;
  // Taking it back must leave room beyond it (the probe), or the reserve
  // would take exactly the room it gave and the process have none again.
  while (r.held < kSlots && r.Protect(2 * r.held + 1, PROT_READ)) ++r.held;
  if (r.held == kSlots && r.Probe()) return true;
  while (r.ReleaseOne()) {
  }
  return false;
}

bool ReleaseMapCountReservePart() {
  Reserve& r = TheReserve();
  std::lock_guard<std::mutex> guard(r.lock);
  return r.ReleaseOne();
}

void ReleaseMapCountReserve() {
  Reserve& r = TheReserve();
  std::lock_guard<std::mutex> guard(r.lock);
  while (r.ReleaseOne()) {
  }
}

bool MapCountHasRoom() {
  Reserve& r = TheReserve();
  std::lock_guard<std::mutex> guard(r.lock);
  if (r.base == nullptr) return r.Create();
  return r.Probe();
}

size_t MapCountReserveHeld() {
  Reserve& r = TheReserve();
  std::lock_guard<std::mutex> guard(r.lock);
  return 2 * r.held;
}

}  // namespace eshm
