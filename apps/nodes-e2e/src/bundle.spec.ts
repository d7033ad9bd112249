import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
});
