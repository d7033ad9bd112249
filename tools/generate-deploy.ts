/**
 * Writes the repository's deployment files from its topology file:
 * docker-compose.generated.yml at the top level and deploy/k8s/*.
 *
 *   node tools/dist/generate-deploy.js [--config FILE] [--root DIR] [--check]
 *
 * --config  topology file (default: dske-config.yaml in the root)
 * --root    where the files go (default: the repository root)
 * --check   write nothing; exit 1 and say what differs when the files on disk
 *           are not what the topology gives
 *
 * The whole topology is loaded and every file rendered before anything is
 * written, so an invalid topology file leaves the files on disk untouched.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { compareGenerated, DEFAULT_CONFIG_FILE, displayPath, existingGeneratedFiles, loadTopology, renderDeployFiles, TopologyError } from '@dske/topology';

const PROGRAM = 'generate-deploy';
const REPO_ROOT = resolve(__dirname, '..', '..');

interface Options {
  config?: string;
  root: string;
  check: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { root: REPO_ROOT, check: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--check') options.check = true;
    else if (arg === '--config') options.config = value();
    else if (arg === '--root') options.root = resolve(value());
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`usage: ${PROGRAM} [--config FILE] [--root DIR] [--check]\n`);
      process.exit(0);
    } else throw new UsageError(`unknown argument '${arg}'`);
  }
  return options;
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function main(argv: readonly string[]): number {
  const options = parseArgs(argv);
  // The loader's errors name the file as the user gave it (or relative to the working directory).
  const configArg = options.config ?? displayPath(process.cwd(), join(options.root, DEFAULT_CONFIG_FILE));
  const sourceFile = displayPath(options.root, resolve(configArg));
  const topology = loadTopology(configArg);
  const files = renderDeployFiles(topology, { sourceFile });

  const onDisk: Record<string, string | undefined> = {};
  for (const path of [...Object.keys(files), ...existingGeneratedFiles(options.root)]) onDisk[path] = readIfExists(join(options.root, path));
  const drift = compareGenerated(files, onDisk);

  if (options.check) {
    if (drift.length === 0) {
      process.stdout.write(`${PROGRAM}: ${Object.keys(files).length} generated files match ${sourceFile}\n`);
      return 0;
    }
    process.stderr.write(`${PROGRAM}: ${drift.length} generated file(s) do not match ${sourceFile}:\n`);
    for (const d of drift) process.stderr.write(`${d.message}\n`);
    process.stderr.write(`Regenerate with: npx nx run tools:generate (then commit the result)\n`);
    return 1;
  }

  for (const d of drift) {
    const target = join(options.root, d.file);
    const text = files[d.file];
    if (text === undefined) {
      rmSync(target);
      process.stdout.write(`removed ${d.file}\n`);
    } else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
      process.stdout.write(`wrote ${d.file}\n`);
    }
  }
  process.stdout.write(`${PROGRAM}: ${Object.keys(files).length} files from ${sourceFile}, ${drift.length} changed\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  if (error instanceof TopologyError || error instanceof UsageError) {
    process.stderr.write(`${PROGRAM}: error: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
