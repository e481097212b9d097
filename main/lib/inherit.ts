/**
 * The inheritance protocol: a Node child process receives maps and
 * semaphores as extra descriptors at spawn and finds each by name, as in
 * NSPR's anonfm test (the descriptor named in an environment variable; NSPR
 * declares PR_ProcessAttrSetInheritableFileMap and PR_GetInheritedFileMap
 * for this but leaves them unimplemented).
 */
import { spawn, type ChildProcess, type SpawnOptions, type StdioOptions } from 'node:child_process';
import { AnonMap } from './anon-map.js';
import { ShmError, invalidType, invalidValue } from './errors.js';
import { closeOnFailure } from './close-on-failure.js';
import { native, type NativeFile } from './native.js';
import { Semaphore } from './semaphore.js';
import { stringMatching } from './validate.js';

/** The environment variable that tells a child which descriptor is which map or semaphore. */
export const INHERITED_MAPS_ENV = 'ELECTRON_SHM_INHERITED_MAPS';

const MAP_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MAP_NAME_WORDS = '1 to 64 letters, digits, "_", "." or "-"';

/** A map to hand down, writable unless `readOnly` (enforced by the kernel). */
export type InheritedMapSpec = AnonMap | { map: AnonMap; readOnly?: boolean };

export interface SpawnWithMapsOptions extends SpawnOptions {
  /** The maps the child receives, by the names it will ask for. */
  maps: Record<string, InheritedMapSpec>;
  /** The semaphores the child receives, by names of their own (not those of maps). */
  semaphores?: Record<string, Semaphore>;
}

function normalizeStdio(stdio: StdioOptions | undefined): unknown[] {
  if (stdio === undefined) return ['pipe', 'pipe', 'pipe'];
  if (typeof stdio === 'string') return [stdio, stdio, stdio];
  return [...stdio];
}

/**
 * spawn(command, args, options) with `options.maps` handed to the child,
 * which gets each with inheritedMap(name). Other options are spawn's.
 */
export function spawnWithMaps(command: string, args: readonly string[], spawnOptions: SpawnWithMapsOptions): ChildProcess {
  if (typeof spawnOptions !== 'object' || spawnOptions === null) throw invalidType('options', 'an object with maps', spawnOptions);
  const { maps, semaphores = {}, ...rest } = spawnOptions;
  if (typeof maps !== 'object' || maps === null) throw invalidType('options.maps', 'an object of AnonMaps by name', maps);
  if (typeof semaphores !== 'object' || semaphores === null) throw invalidType('options.semaphores', 'an object of Semaphores by name', semaphores);

  const stdio = normalizeStdio(rest.stdio);
  const entries: string[] = [];
  const temporary: NativeFile[] = [];
  try {
    for (const [name, spec] of Object.entries(maps)) {
      stringMatching('options.maps name', name, MAP_NAME, MAP_NAME_WORDS);
      const map = spec instanceof AnonMap ? spec : spec?.map;
      if (!(map instanceof AnonMap)) throw invalidType(`options.maps.${name}`, 'an AnonMap or { map, readOnly }', spec);
      const readOnly = map.readOnly || (!(spec instanceof AnonMap) && spec.readOnly === true);
      let fd: number;
      if (readOnly) {
        const file = map.openReadOnlyFile();
        temporary.push(file);
        fd = file.fd;
      } else {
        fd = map.readWriteFile().fd;
      }
      entries.push(`${name}=${stdio.length}:${readOnly ? 'ro' : 'rw'}:${map.size}`);
      stdio.push(fd);
    }
    for (const [name, semaphore] of Object.entries(semaphores)) {
      stringMatching('options.semaphores name', name, MAP_NAME, MAP_NAME_WORDS);
      if (Object.hasOwn(maps, name)) throw invalidValue('options.semaphores name', 'a name no map has', name);
      if (!(semaphore instanceof Semaphore)) throw invalidType(`options.semaphores.${name}`, 'a Semaphore', semaphore);
      entries.push(`${name}=${stdio.length}:sem:0`);
      stdio.push(semaphore.file.fd);
    }
    const env = { ...(rest.env ?? process.env), [INHERITED_MAPS_ENV]: entries.join(',') };
    return spawn(command, args, { ...rest, stdio: stdio as StdioOptions, env });
  } finally {
    // spawn has duplicated them into the child by the time it returns.
    for (const file of temporary) file.close();
  }
}

interface InheritedEntry {
  fd: number;
  access: 'rw' | 'ro' | 'sem';
  size: number;
}

let inherited: Map<string, InheritedEntry> | undefined;
const adopted = new Map<string, AnonMap | Semaphore>();

function readInherited(): Map<string, InheritedEntry> {
  if (inherited !== undefined) return inherited;
  inherited = new Map();
  const text = process.env[INHERITED_MAPS_ENV];
  for (const item of text ? text.split(',') : []) {
    const match = /^([A-Za-z0-9_.-]{1,64})=([0-9]{1,6}):(rw|ro|sem):([0-9]{1,16})$/.exec(item);
    if (match === null) throw new ShmError('EINVAL', `${INHERITED_MAPS_ENV} is malformed at "${item}"`);
    inherited.set(match[1]!, { fd: Number(match[2]), access: match[3] as InheritedEntry['access'], size: Number(match[4]) });
  }
  // Grandchildren inherit neither the list nor (once adopted) the descriptors.
  delete process.env[INHERITED_MAPS_ENV];
  return inherited;
}

/**
 * The entry the parent passed under `name`, of the kind asked for: the
 * object adopted before while it is open, else the descriptor's entry.
 */
function lookUp(name: string, semaphore: boolean): { entry: InheritedEntry; existing?: AnonMap | Semaphore } {
  stringMatching('name', name, MAP_NAME, MAP_NAME_WORDS);
  const what = semaphore ? 'semaphore' : 'map';
  // The entry stays after adoption, so its kind is checked on every call.
  const entry = readInherited().get(name);
  if (entry === undefined) {
    const names = [...readInherited().keys()];
    throw new ShmError(
      'ENOENT',
      `No ${what} named "${name}" was inherited` + (names.length ? ` (inherited: ${names.join(', ')})` : ' (this process inherited none)'),
    );
  }
  if ((entry.access === 'sem') !== semaphore) {
    throw new ShmError('EINVAL', `"${name}" was inherited as a ${semaphore ? 'map' : 'semaphore'}: ask for it with ${semaphore ? 'inheritedMap' : 'inheritedSemaphore'}()`);
  }
  const existing = adopted.get(name);
  if (existing?.closed) throw new ShmError('ERR_CLOSED', `The inherited ${what} "${name}" was closed`);
  return { entry, existing };
}

/** Adopts an inherited descriptor, closing it if `check` refuses it. */
function adopt(fd: number, check: (file: NativeFile) => void): NativeFile {
  return closeOnFailure(native().adoptInherited(fd), (file) => {
    check(file);
    return file;
  });
}

/**
 * In a child started by spawnWithMaps: the map the parent passed under
 * `name`. Asking again returns the same AnonMap while it is open.
 */
export function inheritedMap(name: string): AnonMap {
  const { existing, entry } = lookUp(name, false);
  if (existing !== undefined) return existing as AnonMap;
  const readOnly = entry.access === 'ro';
  const file = adopt(entry.fd, (file) => {
    const got = file.describe();
    if (got.size !== entry.size || got.readOnly !== readOnly) {
      throw new ShmError('EINVAL', `Descriptor ${entry.fd} is not the map "${name}" the parent passed`);
    }
  });
  const map = new AnonMap(file, entry.size, readOnly);
  adopted.set(name, map);
  return map;
}

/**
 * In a child started by spawnWithMaps: the semaphore the parent passed
 * under `name`. Asking again returns the same Semaphore while it is open.
 */
export function inheritedSemaphore(name: string): Semaphore {
  const { existing, entry } = lookUp(name, true);
  if (existing !== undefined) return existing as Semaphore;
  const file = adopt(entry.fd, (file) => native().checkSemaphore(file));
  const semaphore = new Semaphore(file);
  adopted.set(name, semaphore);
  return semaphore;
}
