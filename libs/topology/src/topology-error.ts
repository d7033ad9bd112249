export type TopologyErrorCode =
  | 'unreadable-file'
  | 'yaml-syntax'
  | 'yaml-alias'
  | 'empty-file'
  | 'not-a-mapping'
  | 'unknown-key'
  | 'missing-key'
  | 'wrong-type'
  | 'invalid-value'
  | 'invalid-name'
  | 'no-hubs'
  | 'too-many-hubs'
  | 'duplicate-name'
  | 'duplicate-encryptor'
  | 'inconsistent-settings'
  | 'port-range'
  | 'shared-store';

/** One problem of a topology file. */
export interface TopologyErrorInit {
  file: string;
  line?: number;
  field?: string;
  code: TopologyErrorCode;
  reason: string;
}

/** `file:line: field: reason` (line and field when known). */
export function problemLine(problem: TopologyErrorInit): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return `${where}: ${problem.field === undefined ? '' : `${problem.field}: `}${problem.reason}`;
}

/** Problems without a line (the file as a whole) first, then by line; the file's order within a line. */
function byLine(problems: readonly TopologyErrorInit[]): TopologyErrorInit[] {
  return problems
    .map((problem, order) => ({ problem, order }))
    .sort((a, b) => (a.problem.line ?? 0) - (b.problem.line ?? 0) || a.order - b.order)
    .map(({ problem }) => problem);
}

/**
 * The problems of a topology file, all of them at once, sorted by line: the
 * message has one `file:line: field: reason` line each. code, line, field and
 * reason are those of the first.
 */
export class TopologyError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly field?: string;
  readonly code: TopologyErrorCode;
  readonly reason: string;
  readonly problems: readonly TopologyErrorInit[];

  constructor(init: TopologyErrorInit | readonly TopologyErrorInit[]) {
    const problems = byLine(Array.isArray(init) ? init : [init as TopologyErrorInit]);
    if (problems.length === 0) throw new RangeError('a TopologyError needs at least one problem');
    super(problems.map(problemLine).join('\n'));
    this.name = 'TopologyError';
    const first = problems[0];
    this.file = first.file;
    if (first.line !== undefined) this.line = first.line;
    if (first.field !== undefined) this.field = first.field;
    this.code = first.code;
    this.reason = first.reason;
    this.problems = problems.map((p) => ({ ...p }));
  }

  /** The same problems, the file named as given (e.g. as the user typed it rather than an absolute path). */
  inFile(file: string): TopologyError {
    return new TopologyError(this.problems.map((p) => ({ ...p, file })));
  }
}
