import { join } from 'node:path';

/** glibc's malloc_trim(0), compiled by node-gyp when this package is installed (native/malloc_trim.c). */
export interface MallocTrim {
  /** Hand the pages of free heap chunks back to the system; true when any went back. */
  trim(): boolean;
}

/** Where node-gyp puts the addon: beside dist/, so the compiled file and a copy of the package both find it. */
export const ADDON_PATH = join(__dirname, '..', 'build', 'Release', 'malloc_trim.node');

/**
 * The addon when it was built and the C library has the call (glibc); undefined otherwise (not built for want
 * of a compiler, or macOS and musl, which have no such call), so a node then runs exactly as without it.
 */
export function loadMallocTrim(path = ADDON_PATH): MallocTrim | undefined {
  const module = { exports: {} as { trim: () => boolean; supported: boolean } };
  try {
    process.dlopen(module, path);
  } catch {
    return undefined;
  }
  const addon = module.exports;
  return addon.supported ? { trim: () => addon.trim() } : undefined;
}
