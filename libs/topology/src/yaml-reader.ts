/** Reads a parsed YAML document node by node, so every error can name its line and field. */
import { isAlias, isMap, isScalar, isSeq, type LineCounter, type YAMLMap } from 'yaml';
import { describeValue } from './text';
import { TopologyError, type TopologyErrorCode } from './topology-error';

export interface Entry {
  key: string;
  /** Dotted path from the document root, e.g. clients[1].encryptors. */
  field: string;
  /** Line of the key; value errors point here because an empty value has no line of its own. */
  line: number;
  node: unknown;
}

/**
 * Problems are collected, not just thrown: `collect` runs one part of the file
 * (a setting, a hub, a client) and records its problem, so the rest is still
 * read and every problem is reported at once (`throwIfAny`).
 */
export class YamlReader {
  private readonly problems: TopologyError[] = [];

  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  lineAt(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  lineOf(node: unknown): number | undefined {
    const range = (node as { range?: readonly number[] } | null)?.range;
    return range === undefined ? undefined : this.lineAt(range[0]);
  }

  fail(line: number | undefined, field: string | undefined, code: TopologyErrorCode, reason: string): never {
    throw new TopologyError({ file: this.file, line, field, code, reason });
  }

  /** Records a problem and goes on. */
  record(line: number | undefined, field: string | undefined, code: TopologyErrorCode, reason: string): void {
    this.problems.push(new TopologyError({ file: this.file, line, field, code, reason }));
  }

  /** Runs one independent part of the file; its problem is recorded and undefined returned. */
  collect<T>(read: () => T): T | undefined {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof TopologyError)) throw error;
      this.problems.push(error);
      return undefined;
    }
  }

  get problemCount(): number {
    return this.problems.length;
  }

  /** Every problem recorded so far, sorted by line, as one error. */
  throwIfAny(): void {
    if (this.problems.length > 0) throw new TopologyError(this.problems.flatMap((e) => e.problems));
  }

  describe(node: unknown): string {
    if (isMap(node)) return 'a mapping';
    if (isSeq(node)) return 'a list';
    return describeValue(isScalar(node) ? node.value : node);
  }

  /** The plain JS value of a scalar (collections come back as nodes); aliases are refused. */
  value(node: unknown, line: number | undefined, field: string | undefined): unknown {
    // Anchors and aliases would let one entry stand for two places, which the line-by-line checks cannot report clearly.
    if (isAlias(node)) this.fail(line, field, 'yaml-alias', 'YAML aliases (*name) are not supported in the topology file');
    return isScalar(node) ? node.value : node;
  }

  /** The entries of a mapping in document order; a key outside `allowed` is recorded as a problem and left out. */
  entries(map: YAMLMap, path: string, allowed: readonly string[]): Entry[] {
    return map.items.flatMap((pair) => {
      const entry = this.collect((): Entry => {
        const line = this.lineOf(pair.key) ?? this.lineOf(map) ?? 1;
        const key = this.value(pair.key, line, path || undefined);
        if (isMap(key) || isSeq(key)) this.fail(line, path || undefined, 'unknown-key', `keys must be plain names, got ${this.describe(key)}`);
        const name = String(key);
        const field = path === '' ? name : `${path}.${name}`;
        if (!allowed.includes(name)) this.fail(line, field, 'unknown-key', `unknown key (allowed: ${allowed.join(', ')})`);
        return { key: name, field, line, node: pair.value };
      });
      return entry === undefined ? [] : [entry];
    });
  }
}
