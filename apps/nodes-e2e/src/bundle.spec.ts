import { existsSync, readdirSync, readFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@dske/test-support';

// The node bundles are built without esbuild's keepNames (its __name() calls cost CPU on every hot call), so
// what keeps the names Nest and Swagger read is that esbuild does not rename inside CommonJS modules.

/** Names of the classes a source tree declares (spec and test files left out). */
function declaredClasses(dir: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || /\.(spec|test|testing)\.ts$/.test(entry.name) || entry.name.endsWith('.d.ts')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const match of text.matchAll(/^export (?:abstract )?class (\w+)/gm)) names.push(match[1]);
  }
  return names;
}

const libs = readdirSync(join(REPO_ROOT, 'libs')).filter((lib) => lib !== 'test-support');

describe.each(['hub', 'client'] as const)('%s node bundle', (kind) => {
  const bundle = readFileSync(join(REPO_ROOT, 'apps', kind, 'dist', 'node-bundle.js'), 'utf8');

  it('declares every class of the app and the libraries under its own name (DTO schemas, log contexts)', () => {
    const classes = [join('apps', kind, 'src'), ...libs.map((lib) => join('libs', lib, 'src'))].flatMap((tree) => declaredClasses(join(REPO_ROOT, tree)));
    // `class X {` or, for a decorated class, `var X = class ...` (a class expression takes the name it is assigned to).
    const declared = (name: string) => new RegExp(`\\bclass ${name}[ {]|\\b${name} ?= ?class\\b`).test(bundle);
    const dto = kind === 'hub' ? 'PostKeyShareDto' : 'KeyRequestDto';
    expect(classes).toContain(dto);
    expect(declared(dto)).toBe(true);
    // A class of a library the app does not load is not there at all; none may be there under another name.
    expect(classes.filter((name) => !declared(name) && declared(`${name}\\d+`))).toEqual([]);
  });

  it('calls no __name() helper (esbuild keepNames off)', () => {
    expect(bundle).not.toMatch(/\b__name\(/);
  });

  // esbuild names each module it wraps by its path; V8 keeps the whole bundle's source while the node runs.
  const modules = [...bundle.matchAll(/__(?:commonJS|esm)\(\{"([^"]+)"/g)].map((match) => match[1]);

  it('leaves out what only the manager or a rare request loads: the topology file reader and yaml, ioredis, iconv-lite\'s tables, unused validator rules; and undici', () => {
    expect(modules).toContain('node_modules/@nestjs/core/index.js');
    expect(modules).toContain('libs/topology/dist/nodes.js');
    const unwanted = /^(node_modules\/(yaml|ioredis|libphonenumber-js|mime-db|multer|busboy|object-inspect|@opentelemetry\/api)\/|node_modules\/iconv-lite\/encodings\/tables\/|node_modules\/validator\/lib\/is[A-Z]|node_modules\/undici\/|libs\/topology\/dist\/(config|deploy|index)\b)/;
    expect(modules.filter((path) => unwanted.test(path))).toEqual([]);
  });

  it('takes its native addons from node_modules, where their own lookup finds the compiled file (better-sqlite3, @dske/native-memory)', () => {
    for (const addon of ['better-sqlite3', '@dske/native-memory']) expect(bundle).toContain(`require("${addon}")`);
    // Bundled, the addon's path (beside its package) would be looked up beside the bundle.
    expect(modules.filter((path) => path.startsWith('libs/native-memory/'))).toEqual([]);
  });

  it('is the module function node.js compiles, all in ASCII: mapped, each byte is a character', () => {
    const [head, tail] = (Module as unknown as { wrap(source: string): string }).wrap('\0').split('\0');
    expect(bundle.startsWith(head)).toBe(true);
    expect(bundle.endsWith(tail)).toBe(true);
    expect(/[^\x00-\x7f]/.test(bundle)).toBe(false);
    // As a function expression it parses; run as a script by itself it would do nothing.
    expect(() => new vm.Script(bundle)).not.toThrow();
  });

  it('names no path of the checkout it was built in', () => {
    expect(bundle.includes(REPO_ROOT)).toBe(false);
    expect(modules.some((path) => path.startsWith('first-use:node_modules/validator/lib/'))).toBe(true);
  });

  it('finds every installed file it requires instead of bundling (paths relative to the bundle)', () => {
    const dist = join(REPO_ROOT, 'apps', kind, 'dist');
    const required = [...new Set([...bundle.matchAll(/require\("(\.\.?\/[^"]+)"\)/g)].map((match) => match[1]))];
    expect(required.some((path) => path.includes('/validator/lib/'))).toBe(true);
    if (kind === 'hub') expect(required).toContain('../../../node_modules/ioredis/built/index.js');
    expect(required.filter((path) => !existsSync(join(dist, path)))).toEqual([]);
  });
});
