import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ADDON_PATH, installedNativeMemory, loadNativeMemory } from './index';

/** glibc has malloc_trim: Linux here, in CI and in the image. On macOS or musl trimHeap answers false. */
const glibc = typeof (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime === 'string';
const linux = process.platform === 'linux';

const dir = mkdtempSync(join(tmpdir(), 'native-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a script in a child node with the addon at `addon` and gc() exposed; its last stdout line, parsed. */
function child<T>(script: string): T {
  const run = spawnSync(process.execPath, ['--expose-gc', '-e', `(() => { const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(ADDON_PATH)}); const addon = m.exports; ${script} })()`], {
    env: { ...process.env, MALLOC_ARENA_MAX: '1' },
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as T;
}

/** An ASCII file of `mib` MiB whose every 4 KiB page differs. */
function asciiFile(name: string, mib: number): string {
  const path = join(dir, name);
  const page = 'x'.repeat(4096 - 8);
  const pages: string[] = [];
  for (let i = 0; i < mib * 256; i++) pages.push(`${String(i).padStart(8, '0')}${page}`);
  writeFileSync(path, pages.join(''));
  return path;
}

describe('loadNativeMemory', () => {
  it('loads the addon that npm ci built (a C compiler is one of what npm test needs)', () => {
    const memory = loadNativeMemory();
    expect(memory).toBeDefined();
    expect(memory!.trimHeap()).toEqual(expect.any(Boolean));
  });

  it('is undefined, without a word, when the addon is not there (not built)', () => {
    const warn = vi.fn();
    expect(loadNativeMemory('/nonexistent/native_memory.node', warn)).toBeUndefined();
    expect(warn).not.toHaveBeenCalled();
  });

  it("is undefined when the file does not load (another platform's build), and says why", () => {
    const path = join(dir, 'native_memory.node');
    writeFileSync(path, 'not an ELF file');
    const warn = vi.fn();
    expect(loadNativeMemory(path, warn)).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toContain(path);
  });

  it('loads the installed addon once per process', () => {
    expect(installedNativeMemory()).toBeDefined();
    expect(installedNativeMemory()).toBe(installedNativeMemory());
  });
});

describe('trimHeap', () => {
  it.skipIf(glibc)('answers false where the C library has no malloc_trim', () => {
    expect(loadNativeMemory()!.trimHeap()).toBe(false);
  });

  it.runIf(glibc)('hands freed heap chunks in the middle of the heap back to the system', () => {
    // 64 MiB of 16 KiB buffers (below glibc's mmap threshold, so on the heap), with small ones kept between them:
    // once the large ones are collected, their pages stay resident until malloc_trim gives them back. (In a
    // function: an -e script's top-level bindings kept the buffers alive through gc().)
    const { freed, trimmed, released } = child<{ freed: number; trimmed: number; released: boolean }>(`
      const mib = () => process.memoryUsage.rss() / 1048576;
      let dropped = [];
      const kept = [];
      for (let i = 0; i < 4096; i++) { dropped.push(Buffer.alloc(16384, 1)); if (i % 16 === 0) kept.push(Buffer.alloc(64, 1)); }
      dropped = null; gc(); gc();
      const freed = mib();
      const released = addon.trim();
      console.log(JSON.stringify({ freed, trimmed: mib(), released, kept: kept.length }));`);
    expect(released).toBe(true);
    expect(freed - trimmed).toBeGreaterThan(40);
  });
});

describe('mapLatin1File', () => {
  it('is the file, character for character', () => {
    const path = asciiFile('small.js', 1);
    const text = loadNativeMemory()!.mapLatin1File(path);
    expect(text).toBe(readFileSync(path, 'latin1'));
    expect(text!.length).toBe(1048576);
  });

  it('is undefined for a file it cannot map, or one with a byte beyond ASCII (read it as UTF-8 then)', () => {
    const memory = loadNativeMemory()!;
    const utf8 = join(dir, 'utf8.js');
    writeFileSync(utf8, `${'a'.repeat(10000)}\u00e9`);
    const empty = join(dir, 'empty.js');
    writeFileSync(empty, '');
    const directory = join(dir, 'directory');
    mkdirSync(directory);
    expect(memory.mapLatin1File(utf8)).toBeUndefined();
    expect(memory.mapLatin1File(empty)).toBeUndefined();
    expect(memory.mapLatin1File(directory)).toBeUndefined();
    expect(memory.mapLatin1File(join(dir, 'missing.js'))).toBeUndefined();
    expect(memory.mapLatin1File(`${utf8}\0.ignored`)).toBeUndefined();
    expect(() => (memory.mapLatin1File as (path: unknown) => unknown)(7)).toThrow(TypeError);
  });

  it.runIf(linux)('keeps the characters out of the JavaScript heap, and releaseMappedPages drops them from the process until read again', () => {
    const path = asciiFile('large.js', 16);
    const figures = child<{ mappedHeap: number; readHeap: number; touched: number; mapped: number; afterRelease: number; same: boolean }>(`
      const fs = require('node:fs');
      const heap = () => { gc(); return process.memoryUsage().heapUsed / 1048576; };
      const resident = () => {
        const smaps = fs.readFileSync('/proc/self/smaps', 'utf8');
        const at = smaps.indexOf(${JSON.stringify(path)});
        return Number(/\\nRss:\\s+(\\d+) kB/.exec(smaps.slice(at))[1]) / 1024;
      };
      const before = heap();
      const text = addon.mapLatin1(${JSON.stringify(path)});
      const mappedHeap = heap() - before;
      let sum = 0;
      for (let i = 0; i < text.length; i += 4096) sum += text.charCodeAt(i);
      const touched = resident();
      const mapped = addon.releaseMapped() / 1048576;
      const afterRelease = resident();
      const read = fs.readFileSync(${JSON.stringify(path)}, 'utf8');
      const readHeap = heap() - before - mappedHeap;
      console.log(JSON.stringify({ mappedHeap, readHeap, touched, mapped, afterRelease, same: text === read, sum }));`);
    expect(figures.mappedHeap).toBeLessThan(1);
    expect(figures.readHeap).toBeGreaterThan(15);
    expect(figures.touched).toBeGreaterThan(15);
    expect(figures.mapped).toBe(16);
    expect(figures.afterRelease).toBeLessThan(1);
    expect(figures.same).toBe(true);
  });
});
