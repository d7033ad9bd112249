/**
 * `generate compose` and `generate k8s`: the deployment files of the
 * topology, written relative to the current directory (like the .out logs):
 * docker-compose.generated.yml, or deploy/k8s/*. Everything is rendered
 * before anything is written, so an invalid topology leaves the files on disk
 * as they were. `--check` writes nothing and fails when the files on disk
 * differ from what the topology gives.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  compareGenerated,
  COMPOSE_FILE,
  GENERATED_MARKER,
  KUBERNETES_DIR,
  renderCompose,
  renderKubernetes,
  TopologyError,
  type DeployTarget,
} from '@dske/topology';
import { asConfigError, type ManagerContext } from '../context';
import { ManagerError, reasonOf, UsageError } from '../errors';

export const DEPLOY_TARGETS: readonly DeployTarget[] = ['compose', 'k8s'];

export interface GenerateOptions {
  image?: string;
  /** k8s only. */
  namespace?: string;
  check?: boolean;
}

/** A lower-case DNS label, as Kubernetes requires of a namespace name. */
export function parseNamespace(value: string): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(value)) {
    throw new UsageError(`--namespace: expected a Kubernetes namespace name (lower-case letters, digits and '-', at most 63), got '${value}'`);
  }
  return value;
}

/** An image reference: no spaces or control characters (docker and kubectl check the rest). */
export function parseImage(value: string): string {
  if (!/^[^\s\u0000-\u001f\u007f]+$/.test(value)) throw new UsageError(`--image: expected an image reference such as dske:latest, got '${value}'`);
  return value;
}

/**
 * The topology file as the generated header names it: relative to the
 * current directory when inside it, with forward slashes, so that the output
 * does not depend on where the directory lives (as tools/generate-deploy does
 * for the repository).
 */
export function sourceFileName(cwd: string, configName: string): string {
  const file = resolve(cwd, configName);
  const rel = relative(cwd, file);
  const shown = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
  return shown.split(sep).join('/');
}

/** Generated files already in deploy/k8s (recognised by the header), relative to the current directory. */
function existingGenerated(cwd: string): string[] {
  const dir = join(cwd, KUBERNETES_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `${KUBERNETES_DIR}/${name}`)
    .filter((path) => readFileSync(join(cwd, path), 'utf8').startsWith(GENERATED_MARKER))
    .sort();
}

function render(ctx: ManagerContext, target: DeployTarget, options: GenerateOptions, sourceFile: string): Record<string, string> {
  try {
    if (target === 'compose') return { [COMPOSE_FILE]: renderCompose(ctx.topology, { sourceFile, image: options.image }) };
    const files: Record<string, string> = {};
    const k8s = renderKubernetes(ctx.topology, { sourceFile, image: options.image, namespace: options.namespace });
    for (const [name, text] of Object.entries(k8s)) files[`${KUBERNETES_DIR}/${name}`] = text;
    return files;
  } catch (error) {
    if (error instanceof TopologyError) throw asConfigError(error, ctx.configName);
    throw new ManagerError(reasonOf(error));
  }
}

export async function generateCommand(ctx: ManagerContext, target: DeployTarget, options: GenerateOptions): Promise<void> {
  const { io } = ctx;
  const sourceFile = sourceFileName(io.cwd, ctx.configName);
  const files = render(ctx, target, options, sourceFile);
  const paths = Object.keys(files).sort();

  if (options.check) {
    const onDisk: Record<string, string | undefined> = {};
    for (const path of [...paths, ...(target === 'k8s' ? existingGenerated(io.cwd) : [])]) {
      const file = join(io.cwd, path);
      onDisk[path] = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    }
    const drift = compareGenerated(files, onDisk);
    const what = target === 'compose' ? COMPOSE_FILE : `${paths.length} files in ${KUBERNETES_DIR}`;
    if (drift.length === 0) {
      io.out(`${what} ${target === 'compose' ? 'matches' : 'match'} ${sourceFile}`);
      return;
    }
    for (const d of drift) io.err(d.message);
    throw new ManagerError(`${drift.length} generated file(s) do not match ${sourceFile}: ${drift.map((d) => d.file).join(', ')}; run the same command without --check to regenerate`);
  }

  try {
    for (const path of paths) {
      const file = join(io.cwd, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, files[path]);
      io.out(`Wrote ${path}`);
    }
    // Generated earlier for a node that is gone: kustomize would not apply it, but --check would report it.
    if (target === 'k8s') {
      for (const path of existingGenerated(io.cwd).filter((p) => files[p] === undefined)) {
        rmSync(join(io.cwd, path));
        io.out(`Removed ${path}`);
      }
    }
  } catch (error) {
    throw new ManagerError(`cannot write the generated files: ${reasonOf(error)}`);
  }
}
