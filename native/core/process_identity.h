// Telling a live process from a dead one, or from a later process that was
// given the same pid. A process's identity is its pid together with its
// start time, packed into one 64-bit word so that it can be published in
// shared memory with a single atomic store. Linux implementation in
// process_identity_linux.cc.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "core/status.h"
#include "core/unique_fd.h"

namespace eshm {

// 0 is no process. Linux pids are below 2^22 (PID_MAX_LIMIT); the start
// time, in clock ticks since boot, takes the other 42 bits.
using ProcessIdentity = uint64_t;

inline pid_t PidOf(ProcessIdentity identity) { return static_cast<pid_t>(identity & ((1u << 22) - 1)); }

// This process's identity (computed once).
ProcessIdentity SelfIdentity();

// The identity of the live process `pid`, or 0 if there is none (no such
// process, or a zombie: it has exited and waits only to be reaped) or it
// could not be read (no descriptor free).
ProcessIdentity IdentityOf(pid_t pid);

// Whether the process of `identity` may still be running: false only when
// the kernel says it has exited (or its pid now names a later process),
// true when this process could not look.
bool IsAlive(ProcessIdentity identity);

// A pidfd of the process of `identity`, checked to be that very process and
// not a later one with its pid: it becomes readable when the process exits.
// ESRCH when it has already exited.
Status OpenPidfd(ProcessIdentity identity, UniqueFd* out);

// Whether the process of `pidfd` (OpenPidfd's) has exited: its pidfd is
// readable then. Never waits.
bool HasExited(int pidfd);

}  // namespace eshm
