import { TerminalStatusLine, type ProgressLine } from './progress-line';

/**
 * Where the manager writes and which directory and environment it works in.
 * Commands take this instead of touching `process` so that unit tests can run
 * them in-process and capture every line.
 */
export interface ManagerIo {
  /** One line of normal output (no trailing newline). */
  out(line: string): void;
  /** One line of diagnostics (no trailing newline). */
  err(line: string): void;
  /** Log files, pid files and a relative --config are resolved against this. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A status line updated in place, only when stdout is a terminal (start and stop show their progress on it). */
  progress?: ProgressLine;
}

/** Ctrl-C while a status line shows: erase it first, so the shell prompt does not start in the middle of it. */
function interruptible(status: TerminalStatusLine): ProgressLine {
  const interrupted = () => {
    status.done();
    process.exit(130);
  };
  return {
    show(text) {
      if (!process.listeners('SIGINT').includes(interrupted)) process.once('SIGINT', interrupted);
      status.show(text);
    },
    done(text) {
      process.off('SIGINT', interrupted);
      status.done(text);
    },
  };
}

export function processIo(): ManagerIo {
  // A reader that stops early (`./manager status | head -1`) closes the pipe:
  // drop the rest of the output rather than crash, and let the command finish
  // (a `start` must still wait for its nodes).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  // A terminal gets a live status line; a pipe or a file only the lines (the user guide's output, exactly).
  const terminal = process.stdout.isTTY === true && process.env.TERM !== 'dumb';
  const status = terminal ? new TerminalStatusLine((text) => process.stdout.write(text), () => process.stdout.columns || Number(process.env.COLUMNS) || 80) : undefined;
  return {
    ...(status ? { progress: interruptible(status) } : {}),
    out: (line) => (status ? status.above(line) : process.stdout.write(`${line}\n`)),
    err: (line) => (status ? status.aside(() => process.stderr.write(`${line}\n`)) : process.stderr.write(`${line}\n`)),
    cwd: process.cwd(),
    env: process.env,
  };
}
