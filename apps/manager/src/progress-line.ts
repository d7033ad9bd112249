/**
 * One status line that updates in place at the bottom of a terminal
 * (`\r` and erase-line), for start's and stop's progress. Normal lines are
 * written above it, so they read exactly as without it. Only for a TTY:
 * processIo gives commands one when stdout is a terminal, so a pipe or a
 * file gets the user guide's lines and nothing else.
 */
export interface ProgressLine {
  /** Show (or replace) the status line. */
  show(text: string): void;
  /** End it: keep `text` as a normal line, or clear the status line. */
  done(text?: string): void;
}

const ERASE_LINE = '\r\x1b[2K';

export class TerminalStatusLine implements ProgressLine {
  private current: string | undefined;

  constructor(
    private readonly write: (text: string) => void,
    /** Terminal width: a status line longer than it would wrap and no longer update in place. */
    private readonly columns: () => number,
  ) {}

  show(text: string): void {
    this.current = this.fit(text);
    this.write(`${ERASE_LINE}${this.current}`);
  }

  done(text?: string): void {
    if (this.current === undefined && text === undefined) return;
    this.write(text === undefined ? ERASE_LINE : `${ERASE_LINE}${text}\n`);
    this.current = undefined;
  }

  /** Write a normal line (stdout) above the status line, which is drawn again below it. */
  above(line: string): void {
    this.write(`${this.current === undefined ? '' : ERASE_LINE}${line}\n${this.current ?? ''}`);
  }

  /** Before a line goes to another stream (stderr) of the same terminal: take the status line away, and back after. */
  aside(writeOther: () => void): void {
    if (this.current === undefined) return writeOther();
    this.write(ERASE_LINE);
    writeOther();
    this.write(this.current);
  }

  private fit(text: string): string {
    const width = Math.max(20, this.columns() - 1);
    return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
  }
}

/**
 * Run a command that shows its progress: on success the status line ends as
 * "10 of 10 nodes ready in 3.4 s"; on failure it is cleared before the error.
 */
export async function withProgressSummary(progress: ProgressLine | undefined, total: number, state: 'ready' | 'stopped', run: () => Promise<void>): Promise<void> {
  const started = Date.now();
  try {
    await run();
    progress?.done(`${progressText(total, total, state, [])} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    progress?.done();
  }
}

/** "3 of 10 nodes ready · waiting for hub hank, client carol". */
export function progressText(done: number, total: number, state: 'ready' | 'stopped', waitingFor: readonly string[]): string {
  const head = `${done} of ${total} nodes ${state}`;
  return waitingFor.length === 0 ? head : `${head} · waiting for ${waitingFor.join(', ')}`;
}
