// Files that hold shared memory: creating anonymous ones, sealing them for
// sharing, reserving their pages, and describing any of them. Linux
// implementation in shared_file_linux.cc.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "core/unique_fd.h"

namespace eshm {

// Creates `size` bytes of shared memory that no other process can open by
// name (NSPR's PR_OpenAnonFileMap). On success *out owns the descriptor
// (close-on-exec); on error nothing is left behind, not even a file name.
//
// Uses memfd_create when `allow_memfd` and the kernel agree, sealed at once
// against shrinking and, unless `growable`, against growing: no process it
// is shared with can change its size. Its pages come as they are touched,
// from RAM (memfd has no file system size limit).
//
// Otherwise creates a file in `dir` exclusively with mode 0600, unlinks it
// before returning (so its name exists only for that moment), takes every
// permission away from it (0400 when `growable`: a resizable map's header
// lock reopens it read-only), so that no process of this user can reopen
// it for writing through /proc/<pid>/fd (root still can), and reserves its
// pages: a full file system is ENOSPC here, not a SIGBUS at a first touch.
Status CreateAnonymousFile(uint64_t size, const std::string& dir, bool allow_memfd, UniqueFd* out,
                           bool growable = false);

// Makes memfd memory ready to leave this process: seals its seals
// (F_SEAL_SEAL), so that no process it reaches can add one, and first, when
// `read_only`, forbids every new writable mapping and write() through any
// descriptor, for good (F_SEAL_FUTURE_WRITE; mappings writable now stay
// writable). Both in one F_ADD_SEALS: it can be done once. EPERM once done;
// ENOTSUP for memory that is not a memfd.
Status SealForSharing(int fd, bool read_only);

// Gives every page of the memory its backing now, so that a shortage is
// ENOSPC or ENOMEM here, not a SIGBUS at a later first touch. Through a
// writable descriptor, fallocate. Through a read-only one, which fallocate
// refuses, reads every page in through a temporary mapping
// (MADV_POPULATE_READ, Linux 5.14+; on older kernels nothing is done), after
// checking that the file system has room for the missing pages (so that a
// refusal does not fill it). Does nothing when every page is there already.
Status Reserve(int fd);

// Gives the first `length` bytes of the memory their pages now, through a
// writable descriptor (fallocate), whatever the file's size and blocks
// say: a peer may have lengthened the file without reserving anything.
// A file system without fallocate passes (its pages come at first touch).
Status ReserveFirst(int fd, uint64_t length);

// Opens a second, read-only descriptor of the same memory.
Status ReopenReadOnly(int fd, UniqueFd* out);

struct FileInfo {
  uint64_t size = 0;
  bool read_only = false;     // the descriptor was opened O_RDONLY
  bool memfd = false;         // memfd memory, which takes seals
  bool write_sealed = false;  // F_SEAL_FUTURE_WRITE or F_SEAL_WRITE is set
  bool shrink_sealed = false; // F_SEAL_SHRINK is set: nobody can make it smaller
  bool grow_sealed = false;   // F_SEAL_GROW is set: nobody can make it larger
  bool seals_final = false;   // F_SEAL_SEAL is set: no seal can be added or removed
};

// Describes an open descriptor of shared memory; EBADF if it is not open,
// EINVAL if it is not a regular file (or memfd).
Status DescribeFile(int fd, FileInfo* out);

// Adopts an inherited descriptor: checks it is open and marks it
// close-on-exec so it does not leak further into grandchildren.
Status AdoptInheritedFd(int fd);

}  // namespace eshm
