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
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    cwd: process.cwd(),
    env: process.env,
  };
}
