/**
 * limits(): what the system allows for shared memory, read when asked;
 * and how an error refused by one of those limits comes to name it.
 */
import * as fs from 'node:fs';
import { ShmError } from './errors.js';
import { native } from './native.js';

export interface SharedMemoryLimits {
  /** Largest System V segment, in bytes (kernel.shmmax). */
  shmmax: bigint;
  /** System V shared memory of all segments together, in pages (kernel.shmall). */
  shmall: bigint;
  /** Most System V segments at once (kernel.shmmni). */
  shmmni: number;
  /** System V segments now, and their pages. */
  segments: { count: number; pages: number };
  pageSize: number;
  /** The tmpfs that holds named segments (and anonymous maps without memfd). */
  devShm: { path: string; size: number; free: number } | null;
  /** RLIMIT_MEMLOCK of this process in bytes, null for unlimited; what lock() may pin without CAP_IPC_LOCK. */
  memlock: { soft: number | null; hard: number | null };
  /**
   * Most mappings one process may have (vm.max_map_count): each view
   * takes about two. See docs/zero-copy-views.md, "Mapping limits".
   */
  maxMapCount: number;
}

const DEV_SHM = '/dev/shm';

function sysctl(name: string, group = 'kernel'): bigint {
  return BigInt(fs.readFileSync(`/proc/sys/${group}/${name}`, 'utf8').trim());
}

/** Segments listed in /proc/sysvipc/shm, and their pages. */
function segmentsInUse(pageSize: number): { count: number; pages: number } {
  const [header = '', ...rows] = fs.readFileSync('/proc/sysvipc/shm', 'utf8').trim().split('\n');
  const sizeColumn = header.trim().split(/\s+/).indexOf('size');
  let pages = 0;
  for (const row of rows) pages += Math.ceil(Number(row.trim().split(/\s+/)[sizeColumn]) / pageSize);
  return { count: rows.length, pages };
}

function memlockLimit(): { soft: number | null; hard: number | null } {
  const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max locked memory'));
  const [soft, hard] = (line ?? '').replace('Max locked memory', '').trim().split(/\s+/);
  const value = (text: string | undefined): number | null => (text === undefined || text === 'unlimited' ? null : Number(text));
  return { soft: value(soft), hard: value(hard) };
}

function devShmSpace(dir = DEV_SHM): { path: string; size: number; free: number } | null {
  try {
    const stats = fs.statfsSync(dir);
    return { path: dir, size: stats.blocks * stats.bsize, free: stats.bavail * stats.bsize };
  } catch {
    return null;
  }
}

/** The system's shared-memory limits, as they are now. */
export function limits(): SharedMemoryLimits {
  const pageSize = native().pageSize();
  return {
    shmmax: sysctl('shmmax'),
    shmall: sysctl('shmall'),
    shmmni: Number(sysctl('shmmni')),
    segments: segmentsInUse(pageSize),
    pageSize,
    devShm: devShmSpace(),
    memlock: memlockLimit(),
    maxMapCount: Number(sysctl('max_map_count', 'vm')),
  };
}

function named(error: ShmError, limit: string, sentence: string): ShmError {
  error.limit = limit;
  error.message = `${error.message}: ${sentence}`;
  return error;
}

/** Names RLIMIT_MEMLOCK in a refused lock (mlock, SHM_LOCK). Other errors pass unchanged. */
export function explainLockError(error: unknown, bytes: number): unknown {
  if (!(error instanceof ShmError) || (error.code !== 'ENOMEM' && error.code !== 'EPERM')) return error;
  const { soft } = memlockLimit();
  const allowed = soft === null ? 'unlimited' : `${soft} bytes`;
  return named(
    error,
    'RLIMIT_MEMLOCK',
    `locking ${bytes} bytes into RAM goes beyond RLIMIT_MEMLOCK (${allowed} for this process, counting what it has locked already) and the process lacks the CAP_IPC_LOCK privilege; raise the limit (ulimit -l, LimitMEMLOCK= in systemd) or lock less`,
  );
}

/** Names the System V limit that refused a shmget (EINVAL, ENOSPC). Other errors pass unchanged. */
export function explainSysvGetError(error: unknown, size: number, creating: boolean): unknown {
  if (!(error instanceof ShmError)) return error;
  const now = limits();
  if (error.code === 'EINVAL' && creating && BigInt(size) > now.shmmax) {
    return named(error, 'shmmax', `${size} bytes is more than kernel.shmmax, the largest segment (${now.shmmax} bytes)`);
  }
  if (error.code === 'ENOSPC') {
    if (now.segments.count >= now.shmmni) {
      return named(error, 'shmmni', `the system has kernel.shmmni segments already (${now.shmmni}), the most it allows`);
    }
    return named(error, 'shmall', `${now.segments.pages} pages are in System V segments, and ${Math.ceil(size / now.pageSize)} more would pass kernel.shmall (${now.shmall} pages)`);
  }
  return error;
}

/**
 * Names the free space of the tmpfs at `dir` (/dev/shm unless a map's `dir`
 * said otherwise) in a refused reservation (ENOSPC): `limit` is `dir`.
 * Other errors pass unchanged.
 */
export function explainSpaceError(error: unknown, size: number, dir = DEV_SHM): unknown {
  if (!(error instanceof ShmError) || error.code !== 'ENOSPC') return error;
  const space = devShmSpace(dir);
  const free = space === null ? 'unknown' : `${space.free} bytes free of ${space.size}`;
  return named(error, dir, `${size} bytes do not fit in the file system of ${dir} (${free}); a tmpfs is sized by its mount's size= option`);
}
