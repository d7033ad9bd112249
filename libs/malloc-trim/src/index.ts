import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** glibc's malloc_trim(0), compiled by node-gyp when this package is installed (native/malloc_trim.c). */
export interface MallocTrim {
  /** Hand the pages of free heap chunks back to the system; true when any went back. */
  trim(): boolean;
}

/** Where node-gyp puts the addon: beside dist/, so the compiled file and a copy of the package both find it. */
export const ADDON_PATH = join(__dirname, '..', 'build', 'Release', 'malloc_trim.node');

/**
 * The addon when it was built and the C library has the call (glibc); undefined otherwise, so a node then
 * runs exactly as without it: not built (npm ci found no compiler), or macOS and musl, which have no such
 * call. A file that is there but does not load (built for another platform) is also left out, with a
 * warning that says why.
 */
export function loadMallocTrim(path = ADDON_PATH, warn: (message: string) => void = (message) => process.emitWarning(message)): MallocTrim | undefined {
  if (!existsSync(path)) return undefined;
  const addonModule = { exports: {} as { trim: () => boolean; supported: boolean } };
  try {
    process.dlopen(addonModule, path);
  } catch (error) {
    warn(`@dske/malloc-trim: ${path} does not load, idle nodes keep freed heap pages: ${(error as Error).message}`);
    return undefined;
  }
  const addon = addonModule.exports;
  return addon.supported ? { trim: () => addon.trim() } : undefined;
}

let loaded: { addon: MallocTrim | undefined } | undefined;

/** loadMallocTrim() of the installed addon, once per process. */
export function installedMallocTrim(): MallocTrim | undefined {
  loaded ??= { addon: loadMallocTrim() };
  return loaded.addon;
}
