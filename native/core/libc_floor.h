// What the addon would otherwise take from a glibc newer than 2.28.
//
// The prebuilt binaries (scripts/prebuild.js) must load on glibc 2.28
// (RHEL 8, Debian 10, Ubuntu 20.04 has 2.31), but they are built against the
// build machine's newer glibc, which binds these calls to new symbol
// versions: fstat to fstat@GLIBC_2.33 (an inline wrapper before), shm_open
// and shm_unlink to @GLIBC_2.34 (librt before), strerrorname_np to
// @GLIBC_2.32 (absent before). Each is replaced here by what glibc itself
// does, on calls every glibc has. test/091.package.portable-binaries reads
// the binaries' symbol versions and fails on anything newer than 2.28.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

namespace eshm {

// fstat(2) as the system call: on x86-64 and AArch64 glibc's struct stat is
// the kernel's. -1 with errno on failure, as fstat.
int FileStatus(int fd, struct stat* out);

// shm_open(3) and shm_unlink(3) as glibc 2.34 does them: leading slashes
// dropped, the rest a single file name under /dev/shm, opened with
// O_NOFOLLOW and O_CLOEXEC. Same errno as glibc: ShmOpen says EINVAL for
// an empty name, one holding '/', or a directory, and ENAMETOOLONG over
// NAME_MAX; ShmUnlink says ENOENT in place of EINVAL, and EACCES
// where unlink says EPERM.
int ShmOpen(const std::string& name, int flags, mode_t mode);
int ShmUnlink(const std::string& name);

}  // namespace eshm
