// Room under vm.max_map_count, the kernel's limit on how many mappings
// (VMAs) one process may have: 65530 by default.
//
// Placing shared pages inside a view's buffer splits the buffer's mapping
// (two mappings more), and at the limit the kernel refuses every new
// mapping and every split: V8 then aborts the process wherever it next
// needs memory, and even putting private pages back over a view (which
// needs a new mapping) fails. So this process keeps a small reserve of
// mappings of its own. A placement goes ahead only while the reserve is
// whole; the moment the process reaches the limit, the reserve is given
// back, so that V8, glibc and our own unmapping find room to go on.
// See "Mapping limits" in docs/zero-copy-views.md.
//
// One reserve per process, shared by every thread.
#pragma once

#include <cstddef>

namespace eshm {

// How many mappings the reserve holds back when whole.
constexpr size_t kMapCountReserve = 64;

// Makes the reserve whole again, taking back what it gave; true once it is
// (also when it already was). False when the process has no room for it
// and two more mappings besides: it then holds nothing, and all that room
// stays the process's.
bool HoldMapCountReserve();

// Gives two mappings of the reserve back; false when it holds none.
bool ReleaseMapCountReservePart();

// Gives the whole reserve back.
void ReleaseMapCountReserve();

// Whether the process could make two more mappings now (a probe that
// keeps none). False means it is at vm.max_map_count.
bool MapCountHasRoom();

// How many mappings the reserve holds now, for tests.
size_t MapCountReserveHeld();

}  // namespace eshm
