import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Allocation } from './allocation';
import { Fragment, UUID_PATTERN, assertFragmentShape, fragmentsFromText, fragmentsToText } from './fragment';
import { expectCode } from '../test-helpers/expect-code';


const A = '0b2f7c1e-3d4a-4b5c-8d6e-7f8091a2b3c4';
const B = 'ffffffff-0000-4000-8000-000000000001';

describe('fragment text form', () => {
  it('formats uuid:start:size joined by commas', () => {
    const fragments: Fragment[] = [
      { block_uuid: A, start: 0, size: 10 },
      { block_uuid: B, start: 990, size: 22 },
    ];
    expect(fragmentsToText(fragments)).toBe(`${A}:0:10,${B}:990:22`);
    expect(fragmentsFromText(`${A}:0:10,${B}:990:22`)).toEqual(fragments);
  });

  it('lower-cases UUIDs when parsing', () => {
    expect(fragmentsFromText(`${A.toUpperCase()}:5:6`)).toEqual([{ block_uuid: A, start: 5, size: 6 }]);
  });

  it('round trips (property)', () => {
    const fragment = fc.record({
      block_uuid: fc.uuid(),
      start: fc.integer({ min: 0, max: 9_999_999_999 }),
      size: fc.integer({ min: 0, max: 9_999_999_999 }),
    });
    fc.assert(
      fc.property(fc.array(fragment, { minLength: 1, maxLength: 8 }), (fragments) => {
        expect(fragmentsFromText(fragmentsToText(fragments))).toEqual(fragments.map((f) => ({ ...f, block_uuid: f.block_uuid.toLowerCase() })));
      }),
      { numRuns: 200 },
    );
  });

  it('rejects each malformed text with allocation.malformed', () => {
    const malformed = [
      '',
      ',',
      A,
      `${A}:1`,
      `${A}:1:2:3`,
      `${A}:1:2,`,
      `,${A}:1:2`,
      `${A}:1:2,,${B}:0:1`,
      `${A}:1:2;${B}:0:1`,
      `not-a-uuid:1:2`,
      `${A.slice(0, -1)}:1:2`,
      `${A}x:1:2`,
      `{${A}}:1:2`,
      `${A}:-1:2`,
      `${A}:1:-2`,
      `${A}:01:2`,
      `${A}:1:02`,
      `${A}:+1:2`,
      `${A}:1.5:2`,
      `${A}:1e3:2`,
      `${A}:0x10:2`,
      `${A}: 1:2`,
      `${A}:1:2 `,
      `${A}::2`,
      `${A}:1:`,
      `${A}:12345678901:2`,
      `${A}:1:2\n`,
    ];
    for (const text of malformed) expectCode(() => fragmentsFromText(text), 'allocation.malformed');
  });

  it('UUID_PATTERN accepts canonical UUIDs in either case and nothing else', () => {
    expect(UUID_PATTERN.test(A)).toBe(true);
    expect(UUID_PATTERN.test(A.toUpperCase())).toBe(true);
    expect(UUID_PATTERN.test(`${A}0`)).toBe(false);
    expect(UUID_PATTERN.test(A.replace(/-/g, ''))).toBe(false);
  });
});

describe('assertFragmentShape', () => {
  it('accepts a non-empty array of {block_uuid, start, size}', () => {
    expect(() => assertFragmentShape([{ block_uuid: A, start: 0, size: 32 }])).not.toThrow();
  });

  it('rejects each bad shape with allocation.malformed', () => {
    const bad: unknown[] = [
      undefined,
      null,
      'x',
      {},
      [],
      [null],
      [1],
      [{ block_uuid: 'nope', start: 0, size: 1 }],
      [{ block_uuid: 7, start: 0, size: 1 }],
      [{ start: 0, size: 1 }],
      [{ block_uuid: A, start: '0', size: 1 }],
      [{ block_uuid: A, start: 0, size: 1.5 }],
      [{ block_uuid: A, start: 0 }],
      [{ block_uuid: A, start: Number.NaN, size: 1 }],
      [{ block_uuid: A, start: 2 ** 53, size: 1 }],
      [
        { block_uuid: A, start: 0, size: 1 },
        { block_uuid: A, start: 0, size: null },
      ],
    ];
    for (const value of bad) expectCode(() => assertFragmentShape(value), 'allocation.malformed');
  });
});

describe('Allocation', () => {
  it('exposes size, text and a wire copy of its fragments', () => {
    const fragments = [
      { block_uuid: A, start: 3, size: 2 },
      { block_uuid: B, start: 0, size: 1 },
    ];
    const allocation = new Allocation(fragments, Uint8Array.of(1, 2, 3));
    expect(allocation.size).toBe(3);
    expect(allocation.toText()).toBe(`${A}:3:2,${B}:0:1`);
    const wire = allocation.toWire();
    expect(wire).toEqual({ fragments });
    wire.fragments[0].start = 99;
    expect(allocation.fragments[0].start).toBe(3);
    expect(JSON.parse(JSON.stringify(wire))).toEqual(wire);
  });
});
