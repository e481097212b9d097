/**
 * Where the native module may be, in the order the loader tries them: a
 * binary built from source on this machine (build/Release, by the install
 * script when no prebuilt binary fits, or by `npm run build`), then the
 * prebuilt binary of this platform and architecture (prebuilds/, made by
 * scripts/prebuild.js). Pure: paths only, so that a test can check them for
 * any layout.
 */
import * as path from 'node:path';

export const ADDON_FILE = 'electron_shm.node';

/**
 * Inside an Electron app packed with asar, the package's JavaScript is read
 * from app.asar, but a shared library cannot be loaded from an archive:
 * packagers put it in app.asar.unpacked, beside (docs/packaging.md).
 */
export function unpackedPath(file: string): string {
  return file.replace(/([\\/])app\.asar([\\/]|$)/, '$1app.asar.unpacked$2');
}

/** The package root: the code runs from main/lib (sources, through tsx) or dist/main/lib (built), two or three levels below it. */
export function packageRoot(dirname: string): string {
  const built = path.basename(path.dirname(path.dirname(dirname))) === 'dist';
  return path.join(dirname, ...(built ? ['..', '..', '..'] : ['..', '..']));
}

/** The candidate binaries for a package whose code runs from `dirname`. */
export function addonCandidates(dirname: string, platform: string, arch: string): string[] {
  const root = unpackedPath(packageRoot(dirname));
  return [path.join(root, 'build', 'Release', ADDON_FILE), path.join(root, 'prebuilds', `${platform}-${arch}`, ADDON_FILE)];
}
