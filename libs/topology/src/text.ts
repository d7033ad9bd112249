/** Helpers that put user-supplied values into one-line error messages. */

const ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const MAX_SHOWN = 80;

/** Quotes a raw value; control characters are escaped so a message never spans lines. */
export function quote(raw: string): string {
  const shown = raw.length > MAX_SHOWN ? `${raw.slice(0, MAX_SHOWN - 3)}...` : raw;
  const escaped = shown.replace(
    /[\\'\u0000-\u001f\u007f\u0085\u2028\u2029]/g,
    (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `'${escaped}'`;
}

/** Hides URL credentials (a Redis password) before a URL is echoed in a message or log. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/[^/@\s]*@/, '//***@');
}

/** Describes a parsed YAML value for "expected X, got Y" messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  return 'a mapping';
}
