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

export interface TopologyErrorInit {
  file: string;
  line?: number;
  field?: string;
  code: TopologyErrorCode;
  reason: string;
}

/** A topology file problem; the message reads `file:line: field: reason` (line and field when known). */
export class TopologyError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly field?: string;
  readonly code: TopologyErrorCode;
  readonly reason: string;

  constructor(init: TopologyErrorInit) {
    const where = init.line === undefined ? init.file : `${init.file}:${init.line}`;
    super(`${where}: ${init.field === undefined ? '' : `${init.field}: `}${init.reason}`);
    this.name = 'TopologyError';
    this.file = init.file;
    if (init.line !== undefined) this.line = init.line;
    if (init.field !== undefined) this.field = init.field;
    this.code = init.code;
    this.reason = init.reason;
  }
}
