#!/usr/bin/env node
/** Entry point of ./manager: the DSKE topology manager. */
import { processIo } from './io';
import { runManager } from './run';

void runManager(process.argv.slice(2), processIo()).then((code) => {
  // No process.exit(): stdout may be a pipe still draining (`status | jq`);
  // the manager holds no handles, so it ends once the output is written.
  process.exitCode = code;
});
