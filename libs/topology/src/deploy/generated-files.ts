import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { GENERATED_MARKER, KUBERNETES_DIR } from './common';

/**
 * A file as a generated header names it: relative to `root` when inside it,
 * with forward slashes, so the output does not depend on where the
 * directory lives.
 */
export function displayPath(root: string, file: string): string {
  const rel = relative(root, file);
  const shown = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
  return shown.split(sep).join('/');
}

/** Generated files already in deploy/k8s under `root` (recognised by their header), relative to `root`. */
export function existingGeneratedFiles(root: string): string[] {
  const dir = join(root, KUBERNETES_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `${KUBERNETES_DIR}/${name}`)
    .filter((path) => readFileSync(join(root, path), 'utf8').startsWith(GENERATED_MARKER))
    .sort();
}
