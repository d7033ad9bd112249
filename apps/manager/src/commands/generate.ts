/**
 * `generate compose` and `generate k8s`: the deployment files of the
 * topology, written relative to the current directory (like the .out logs):
 * docker-compose.generated.yml, or deploy/k8s/*. Everything is rendered
 * before anything is written, so an invalid topology leaves the files on disk
 * as they were. `--check` writes nothing and fails when the files on disk
 * differ from what the topology gives.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  displayPath,
  existingGeneratedFiles,
  compareGenerated,
  COMPOSE_FILE,
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
  /** Today's open lab files instead of the secure ones. */
  lab?: boolean;
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

function render(ctx: ManagerContext, target: DeployTarget, options: GenerateOptions, sourceFile: string): Record<string, string> {
  try {
    if (target === 'compose') return { [COMPOSE_FILE]: renderCompose(ctx.topology, { sourceFile, image: options.image, lab: options.lab }) };
    const files: Record<string, string> = {};
    const k8s = renderKubernetes(ctx.topology, { sourceFile, image: options.image, namespace: options.namespace, lab: options.lab });
    for (const [name, text] of Object.entries(k8s)) files[`${KUBERNETES_DIR}/${name}`] = text;
    return files;
  } catch (error) {
    if (error instanceof TopologyError) throw asConfigError(error, ctx.configName);
    throw new ManagerError(reasonOf(error));
  }
}

export async function generateCommand(ctx: ManagerContext, target: DeployTarget, options: GenerateOptions): Promise<void> {
  const { io } = ctx;
  const sourceFile = displayPath(io.cwd, resolve(io.cwd, ctx.configName));
  const files = render(ctx, target, options, sourceFile);
  const paths = Object.keys(files).sort();

  if (options.check) {
    const onDisk: Record<string, string | undefined> = {};
    for (const path of [...paths, ...(target === 'k8s' ? existingGeneratedFiles(io.cwd) : [])]) {
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
      for (const path of existingGeneratedFiles(io.cwd).filter((p) => files[p] === undefined)) {
        rmSync(join(io.cwd, path));
        io.out(`Removed ${path}`);
      }
    }
  } catch (error) {
    throw new ManagerError(`cannot write the generated files: ${reasonOf(error)}`);
  }
}
