import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** What an idle node hands back to the system beyond V8's heap, compiled by node-gyp when this package is installed (native/native_memory.c). */
export interface NativeMemory {
  /** glibc's malloc_trim(0): the pages of free heap chunks back to the system; true when any went back (false where there is no such call: macOS, musl). */
  trimHeap(): boolean;
  /**
   * The file as a string whose characters stay in the file's read-only mapping, not in the JavaScript heap;
   * undefined when it cannot be mapped or is not all ASCII (read it as usual then). The file must not change in
   * place while it is mapped: replace it with a new file (write another, rename it over).
   */
  mapLatin1File(path: string): string | undefined;
  /** Drops the resident pages of every mapped file from this process (a later read maps them again); the bytes mapped. */
  releaseMappedPages(): number;
}

/** Where node-gyp puts the addon: beside dist/, so the compiled file and a copy of the package both find it. */
export const ADDON_PATH = join(__dirname, '..', 'build', 'Release', 'native_memory.node');

interface Addon {
  trim(): boolean;
  mapLatin1(path: string): string | undefined;
  releaseMapped(): number;
}

/**
 * The addon when it was built; undefined otherwise, so a node then runs exactly as without it: not built (npm
 * ci found no compiler). A file that is there but does not load (built for another platform) is also left out,
 * with a warning that says why.
 */
export function loadNativeMemory(path = ADDON_PATH, warn: (message: string) => void = (message) => process.emitWarning(message)): NativeMemory | undefined {
  if (!existsSync(path)) return undefined;
  const addonModule = { exports: {} as Addon };
  try {
    process.dlopen(addonModule, path);
  } catch (error) {
    warn(`@dske/native-memory: ${path} does not load, idle nodes keep freed heap pages and a copy of their bundle: ${(error as Error).message}`);
    return undefined;
  }
  const addon = addonModule.exports;
  return {
    trimHeap: () => addon.trim(),
    mapLatin1File: (file) => addon.mapLatin1(file),
    releaseMappedPages: () => addon.releaseMapped(),
  };
}

let loaded: { addon: NativeMemory | undefined } | undefined;

/** loadNativeMemory() of the installed addon, once per process. */
export function installedNativeMemory(): NativeMemory | undefined {
  loaded ??= { addon: loadNativeMemory() };
  return loaded.addon;
}
