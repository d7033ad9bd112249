import { ApiError } from './api-error';

/**
 * Limits a JSON request body must keep before anything recursive sees it
 * (the validation pipe walks bodies recursively: 5,000 nested `{"a":` would
 * overflow its stack). The deepest body of the contract (a batch of shares
 * with their fragments) nests 5 levels and holds a few hundred keys.
 */
export const MAX_JSON_DEPTH = 16;
export const MAX_JSON_KEYS = 10_000;
/** Property names that reach prototypes: refused wherever they appear, like any unknown field. */
export const FORBIDDEN_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A key of another length, written without escapes, cannot be a forbidden name: it is not decoded at all. */
const FORBIDDEN_LENGTHS: ReadonlySet<number> = new Set([...FORBIDDEN_NAMES].map((name) => name.length));

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/**
 * Why a JSON text breaks the limits (too deep, too many keys, a forbidden
 * property name), or undefined. One pass over the bytes, no recursion: strings
 * are skipped, and an object key is a string followed by a colon. Syntax is
 * JSON.parse's business; this only has to be right for texts it accepts.
 */
export function jsonShapeProblem(text: Uint8Array): string | undefined {
  let depth = 0;
  let keys = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) return `JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === QUOTE) {
      const start = i + 1;
      let escaped = false;
      for (i = start; i < text.length && text[i] !== QUOTE; i++) {
        if (text[i] === BACKSLASH) {
          escaped = true;
          i++;
        }
      }
      let j = i + 1;
      while (j < text.length && (text[j] === 0x20 || text[j] === 0x09 || text[j] === 0x0a || text[j] === 0x0d)) j++;
      if (text[j] !== COLON) continue;
      if (++keys > MAX_JSON_KEYS) return `JSON with more than ${MAX_JSON_KEYS} keys`;
      // Most keys are never decoded (a body of 32 shares holds some 300): no copy and no string for them.
      if (!escaped && !FORBIDDEN_LENGTHS.has(i - start)) continue;
      const raw = Buffer.from(text.subarray(start, i)).toString('utf8');
      const name = escaped ? safeUnescape(raw) : raw;
      if (FORBIDDEN_NAMES.has(name)) return `property ${name} should not exist`;
    }
  }
  return undefined;
}

/** A key with escapes (`"__proto\\u005f_"`) is judged by what it means. */
function safeUnescape(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/** The 400 a body that breaks those limits gets (from Express's chain and from the direct routes alike); undefined: none. */
export function jsonShapeRefusal(text: Uint8Array): ApiError | undefined {
  const problem = jsonShapeProblem(text);
  return problem === undefined ? undefined : new ApiError(400, 'validation', problem, [{ message: problem }]);
}
