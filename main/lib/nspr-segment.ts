/**
 * NSPR's named shared memory on Linux, for SharedMemory's `compat: 'nspr'`:
 * what NSPR 4.x's PR_OpenSharedMemory and PR_DeleteSharedMemory do there
 * (pr/src/md/unix/uxshm.c, the System V branch Linux builds take). The name
 * is the path of a file, and the memory is the System V segment whose key
 * is ftok(name, 'b'). A C program using NSPR and a Node process thus meet
 * at one segment by name.
 */
import * as fs from 'node:fs';
import { ShmError, invalidValue } from './errors.js';
import { SysVSegment } from './sysv-segment.js';
import { string } from './validate.js';

/** NSPR's project id for a shared memory key ('b'; its semaphores take 'a'). */
export const NSPR_SHM_PROJECT_ID = 0x62;
/** NSPR copies a name into PR_IPC_NAME_SIZE (1024) bytes, its NUL included. */
const NSPR_NAME_MAX = 1023;

/** A name as NSPR takes it: a path, relative to the working directory or absolute. */
export function checkNsprName(name: unknown): string {
  const path = string('name', name);
  if (path === '' || path.includes('\0') || Buffer.byteLength(path, 'utf8') > NSPR_NAME_MAX) {
    throw invalidValue('name', 'a file path of 1 to 1023 bytes with no NUL (NSPR names a segment by a file)', name);
  }
  return path;
}

/** Node's error of a file call, as a ShmError of the same code. */
function fileError(error: unknown, path: string): unknown {
  const { code, syscall, errno, message } = error as NodeJS.ErrnoException;
  if (code === undefined) return error;
  return Object.assign(new ShmError(code, `NSPR shared memory ${path}: ${message}`, { cause: error }), { syscall, errno });
}

/**
 * Opens the segment of `path`: with `create`, first the file (as NSPR
 * does: O_CREAT without O_EXCL, `mode` as the umask leaves it), then the
 * segment, created exclusively with `mode` or, unless `exclusive`, opened
 * when it exists. ENOENT for a missing file or segment; ERR_SIZE_MISMATCH
 * for a segment of another size.
 */
export function openNsprSegment(path: string, size: number, create: boolean, exclusive: boolean, mode: number): { segment: SysVSegment; created: boolean } {
  const projectId = NSPR_SHM_PROJECT_ID;
  if (create) {
    try {
      fs.closeSync(fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, mode));
    } catch (error) {
      throw fileError(error, path);
    }
    try {
      return { segment: SysVSegment.open(path, { size, create: true, exclusive: true, mode, projectId }), created: true };
    } catch (error) {
      if ((error as ShmError).code !== 'EEXIST' || exclusive) throw error;
    }
  }
  const segment = SysVSegment.open(path, { mode, projectId });
  const actual = segment.size;
  if (actual !== size) {
    throw new ShmError('ERR_SIZE_MISMATCH', `NSPR shared memory ${path} exists with ${actual} bytes, not the ${size} asked for`);
  }
  return { segment, created: false };
}

/**
 * PR_DeleteSharedMemory: removes the segment (processes attached keep it
 * until they detach), then the file. ENOENT for a missing file or segment;
 * unlike NSPR, it never makes the file to find that out.
 */
export function unlinkNsprSegment(path: string): void {
  SysVSegment.open(path, { projectId: NSPR_SHM_PROJECT_ID, mode: 0 }).remove();
  try {
    fs.unlinkSync(path);
  } catch (error) {
    throw fileError(error, path);
  }
}
