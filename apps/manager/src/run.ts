/** One manager invocation: parse, run, and turn any failure into one line and an exit status. */
import { CommanderError } from 'commander';
import { buildProgram, type CliOptions } from './cli';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, ManagerError, reasonOf } from './errors';
import type { ManagerIo } from './io';

export async function runManager(argv: readonly string[], io: ManagerIo, options: CliOptions = {}): Promise<number> {
  try {
    await buildProgram(io, options).parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    // commander has already printed its message (or the help).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (error instanceof ManagerError) {
      // A topology file with several problems: one line each.
      for (const line of error.line.split('\n')) io.err(line);
      return error.exitCode;
    }
    io.err(`manager: error: ${reasonOf(error)}`);
    return EXIT_FAILURE;
  }
}
