// A counting semaphore between processes: a Linux eventfd in semaphore mode
// (EFD_SEMAPHORE), whose count the kernel keeps. A post adds to it; a take
// removes one, or finds none without waiting. Waiting is the caller's: the
// descriptor is readable while the count is above zero, for every process
// that watches it (binding/watcher_js.h), so one post wakes each waiting
// event loop directly.
//
// The open file description is shared with every process that holds the
// semaphore, and any of them can clear its O_NONBLOCK (F_SETFL). A take
// therefore never relies on the flag: it reads with RWF_NOWAIT, which the
// kernel honours per call (Linux 5.12 and later; before, it sets the flag
// again and reads). A post can only block when the count would pass its
// maximum, which it first makes sure it will not (docs/api.md, "Semaphore").
// Linux implementation: semaphore_linux.cc.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/unique_fd.h"

namespace eshm {

// The kernel's ceiling for the count: 2^64 - 2.
constexpr uint64_t kMaxSemaphoreCount = 0xfffffffffffffffeULL;

// A new semaphore holding `initial`; close-on-exec, non-blocking.
Status CreateSemaphore(uint32_t initial, UniqueFd* out);

// OK if `fd` is an eventfd in semaphore mode, as an exporter of this module
// sends; ERR_HANDLE_INVALID otherwise (a peer may send anything: a FIFO that
// blocks, a regular file, an eventfd whose reads take the whole count).
Status CheckSemaphore(int fd);

// Adds `count` (at least 1) to the semaphore. EOVERFLOW, and nothing added,
// when the count would pass kMaxSemaphoreCount.
Status PostSemaphore(int fd, uint64_t count);

// Takes one if the count is above zero (*taken true), else nothing (*taken
// false). Never waits.
Status TryTakeSemaphore(int fd, bool* taken);

}  // namespace eshm
