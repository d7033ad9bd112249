#!/usr/bin/env node
// The dashboard page's script: apps/manager/page/dashboard.ts (browser code, type-checked by
// apps/manager/page/tsconfig.json) bundled into apps/manager/dist/page/dashboard.js, which
// `./manager dashboard` serves. One file, no source from the internet at run time.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [join(root, 'apps', 'manager', 'page', 'dashboard.ts')],
  outfile: join(root, 'apps', 'manager', 'dist', 'page', 'dashboard.js'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  logLevel: 'warning',
  legalComments: 'none',
});
