// System V shared memory segments: shmget, shmat, shmctl. What existing C
// programs and X11's MIT-SHM share. Linux implementation in
// sysv_shm_linux.cc. A segment is named by a numeric key (or a path turned
// into one by ftok) and, once made, by its id; it lives until it is removed
// and the last process has detached it.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace eshm {

struct SysvOpenOptions {
  bool create = false;     // IPC_CREAT
  bool exclusive = false;  // IPC_EXCL: fail with EEXIST if the key has a segment
  uint32_t mode = 0600;    // permission bits for a new segment
};

// What shmctl(IPC_STAT) tells of a segment. Times are seconds since the
// epoch, 0 where it never happened.
struct SysvStatus {
  uint64_t size = 0;
  uint32_t mode = 0;  // permission bits only
  uint32_t uid = 0, gid = 0;    // owner
  uint32_t cuid = 0, cgid = 0;  // creator
  int32_t creator_pid = 0;
  int32_t last_pid = 0;  // of the last shmat or shmdt
  uint64_t attached = 0;
  int64_t attach_time = 0, detach_time = 0, change_time = 0;
  bool locked = false;   // SHM_LOCK in force
  bool removed = false;  // marked for destruction after the last detach
};

// The key ftok makes of an existing path and a project id (1 to 255).
Status SysvKeyFromPath(const std::string& path, int project_id, int32_t* key);

// Opens the segment of `key` (0 is IPC_PRIVATE: always a new segment),
// creating it with `size` bytes as `options` allow. An existing segment
// must be at least `size` bytes (0 accepts any). `*created` says whether
// this call made it.
Status SysvGet(int32_t key, uint64_t size, const SysvOpenOptions& options, int* id, bool* created);

Status SysvStat(int id, SysvStatus* status);

// Marks the segment for destruction (IPC_RMID): the kernel destroys it when
// the last process has detached; no new attach by key is possible.
Status SysvRemove(int id);

// SHM_LOCK / SHM_UNLOCK: keep the segment's pages in RAM, or let them go.
Status SysvSetLocked(int id, bool locked);

// Attaches the segment, `length` bytes long, at exactly `addr`
// (page-aligned), replacing the pages there (SHM_REMAP). Detaching is
// unmapping that range: RestorePrivateAt (core/mapping.h) puts private
// pages back, and the kernel counts the detach.
Status SysvAttachAt(int id, void* addr, size_t length, bool read_only);

}  // namespace eshm
