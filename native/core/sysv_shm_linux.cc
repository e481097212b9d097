#include "core/sysv_shm.h"

#include <sys/ipc.h>
#include <sys/shm.h>

#include "core/mapping.h"

namespace eshm {

Status SysvKeyFromPath(const std::string& path, int project_id, int32_t* key) {
  errno = 0;
  key_t made = ftok(path.c_str(), project_id);
  if (made == -1) return Status::Sys("ftok", errno, "No key can be made of " + path);
  *key = static_cast<int32_t>(made);
  return Status::Ok();
}

Status SysvGet(int32_t key, uint64_t size, const SysvOpenOptions& options, int* id, bool* created) {
  int flags = static_cast<int>(options.mode & 0777);
  if (options.create) flags |= IPC_CREAT;
  if (options.exclusive) flags |= IPC_EXCL;
  // Whether this call creates the segment: try exclusively first, so that
  // the answer is exact even when another process races to create it.
  if (options.create && !options.exclusive && key != IPC_PRIVATE) {
    int made = shmget(static_cast<key_t>(key), size, flags | IPC_EXCL);
    if (made >= 0) {
      *id = made;
      *created = true;
      return Status::Ok();
    }
    if (errno != EEXIST) return Status::Sys("shmget");
    flags &= ~IPC_CREAT;
  }
  int got = shmget(static_cast<key_t>(key), size, flags);
  if (got < 0) return Status::Sys("shmget");
  *id = got;
  *created = options.create && (options.exclusive || key == IPC_PRIVATE);
  return Status::Ok();
}

Status SysvStat(int id, SysvStatus* status) {
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) != 0) return Status::Sys("shmctl");
  status->size = ds.shm_segsz;
  status->mode = ds.shm_perm.mode & 0777;
  status->uid = ds.shm_perm.uid;
  status->gid = ds.shm_perm.gid;
  status->cuid = ds.shm_perm.cuid;
  status->cgid = ds.shm_perm.cgid;
  status->creator_pid = ds.shm_cpid;
  status->last_pid = ds.shm_lpid;
  status->attached = ds.shm_nattch;
  status->attach_time = ds.shm_atime;
  status->detach_time = ds.shm_dtime;
  status->change_time = ds.shm_ctime;
  status->locked = (ds.shm_perm.mode & SHM_LOCKED) != 0;
  status->removed = (ds.shm_perm.mode & SHM_DEST) != 0;
  return Status::Ok();
}

Status SysvRemove(int id) {
  if (shmctl(id, IPC_RMID, nullptr) != 0) return Status::Sys("shmctl");
  return Status::Ok();
}

Status SysvSetLocked(int id, bool locked) {
  if (shmctl(id, locked ? SHM_LOCK : SHM_UNLOCK, nullptr) != 0) return Status::Sys("shmctl");
  return Status::Ok();
}

Status SysvAttachAt(int id, void* addr, size_t length, bool read_only) {
  const int flags = SHM_REMAP | (read_only ? SHM_RDONLY : 0);
  // PlaceSharedAt keeps the map-count reserve and, as for a failed
  // MAP_FIXED, never leaves a hole in the caller's range.
  return PlaceSharedAt(addr, length, [&] {
    return shmat(id, addr, flags) == reinterpret_cast<void*>(-1) ? Status::Sys("shmat") : Status::Ok();
  });
}

}  // namespace eshm
