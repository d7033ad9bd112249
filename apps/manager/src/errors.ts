/** Exit statuses: argparse's convention, which the user guide's manager.py follows. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure the user can act on; the message becomes the final `manager: error: ...` line. */
export class ManagerError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'ManagerError';
  }

  /** The line printed on stderr. */
  get line(): string {
    return `manager: error: ${this.message}`;
  }
}

/**
 * A topology file problem, printed as the loader words it
 * (`dske-config.yaml:12: field: reason`), compiler style, so editors and the
 * README's example match it.
 */
export class ConfigError extends ManagerError {
  override get line(): string {
    return this.message;
  }
}

/** Bad command-line input (exit status 2, like commander's own parse errors). */
export class UsageError extends ManagerError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
    this.name = 'UsageError';
  }
}

/** The one-line form of any thrown value. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}
