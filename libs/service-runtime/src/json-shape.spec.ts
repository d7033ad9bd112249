import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FORBIDDEN_NAMES, jsonShapeProblem, MAX_JSON_DEPTH, MAX_JSON_KEYS } from './json-shape';

const check = (text: string) => jsonShapeProblem(Buffer.from(text));

describe('jsonShapeProblem', () => {
  it('accepts the contract\'s bodies', () => {
    expect(check('{"key_IDs":[{"key_ID":"a"},{"key_ID":"b"}]}')).toBeUndefined();
    expect(check('{"shares":[{"encryption_key_allocation":{"fragments":[{"block_uuid":"u","start":0,"size":32}]}}]}')).toBeUndefined();
    expect(check('[]')).toBeUndefined();
    expect(check('"a string with { [ and \\" inside"')).toBeUndefined();
  });

  it('refuses nesting beyond the limit, also the 5,000-level body that overflowed the validation pipe', () => {
    expect(check('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).toBeUndefined();
    expect(check('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1))).toBe(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(check('{"a":'.repeat(5000) + '1' + '}'.repeat(5000))).toBe(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it('refuses too many keys', () => {
    const body = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;
    expect(check(body(MAX_JSON_KEYS))).toBeUndefined();
    expect(check(body(MAX_JSON_KEYS + 1))).toBe(`JSON with more than ${MAX_JSON_KEYS} keys`);
  });

  it('refuses __proto__, constructor and prototype as keys anywhere, also written with escapes, but not as values', () => {
    expect(check('{"__proto__":{"x":1}}')).toBe('property __proto__ should not exist');
    expect(check('{"a":[{"constructor" : 1}]}')).toBe('property constructor should not exist');
    expect(check('{"prototype":1}')).toBe('property prototype should not exist');
    expect(check('{"\\u005f_proto__":1}')).toBe('property __proto__ should not exist');
    expect(check('{"name":"__proto__","list":["constructor"]}')).toBeUndefined();
  });

  it('agrees with a recursive reference on random JSON (property)', () => {
    const isNode = (v: unknown): v is object => v !== null && typeof v === 'object';
    const depthOf = (v: unknown): number => (isNode(v) ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0);
    // fast-check generates __proto__ and constructor keys on purpose: the reference must know them too.
    const namesForbidden = (v: unknown): boolean =>
      isNode(v) && ((!Array.isArray(v) && Object.keys(v).some((k) => FORBIDDEN_NAMES.has(k))) || Object.values(v).some(namesForbidden));
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 20 }), (value) => {
        const text = JSON.stringify(value);
        const refused = depthOf(value) > MAX_JSON_DEPTH || namesForbidden(value);
        expect(check(text) !== undefined).toBe(refused);
      }),
      { numRuns: 300 },
    );
  });

  it('the reference finds forbidden keys that fast-check generates', () => {
    fc.assert(
      fc.property(fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.jsonValue({ maxDepth: 3 }), (name, inner) => {
        const value = JSON.parse(`{"list":[{${JSON.stringify(name)}:${JSON.stringify(inner)}}]}`);
        expect(check(JSON.stringify(value))).toBe(`property ${name} should not exist`);
      }),
      { numRuns: 50 },
    );
  });
});
