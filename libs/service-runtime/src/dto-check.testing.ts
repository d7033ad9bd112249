import fc from 'fast-check';
import { compileDtoCheck, DtoClass } from './dto-check';
import { strictValidationPipe } from './bootstrap';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path (property names and array indexes) into a JSON value. */
function paths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((item, i) => paths(item, [...prefix, i]))];
  if (value !== null && typeof value === 'object') return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}

/** `value` with what is at `path` replaced (or deleted when `replacement` is undefined). */
function edit(value: Json, path: Array<string | number>, replacement: Json | undefined): Json | undefined {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    const next = edit(copy[head as number], rest, replacement);
    if (next === undefined) copy.splice(head as number, 1);
    else copy[head as number] = next;
    return copy;
  }
  const copy = { ...(value as Record<string, Json>) };
  const next = edit(copy[head as string], rest, replacement);
  if (next === undefined) delete copy[head as string];
  else copy[head as string] = next;
  return copy;
}

/** JSON of a flat object with its keys sorted (a class instance lists its declared fields first). */
function canonicalJson(value: object): string {
  return JSON.stringify(Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** Near misses of a value: a changed string, a number one off or fractional, a wrong type, an extra key. */
function variantOf(old: Json | undefined): fc.Arbitrary<Json | undefined> {
  const near: Array<fc.Arbitrary<Json | undefined>> = [fc.constant(undefined), fc.jsonValue() as fc.Arbitrary<Json>, fc.constant(null), fc.constant(''), fc.constant([]), fc.constant({})];
  if (typeof old === 'string') near.push(fc.string().map((s) => old + s), fc.constant(old.toUpperCase()), fc.constant(old.slice(1)), fc.constant(old.slice(0, -1)), fc.constant(`${old}=`), fc.constant(` ${old}`));
  if (typeof old === 'number') near.push(fc.constantFrom(old + 1, old - 1, old + 0.5, -old, 2 ** 31, 1e21), fc.constant(String(old)));
  if (Array.isArray(old)) near.push(fc.constant([...old, ...old]), fc.constant(old.slice(1)), fc.constant(old.length > 0 ? old[0] : null));
  if (old !== null && typeof old === 'object' && !Array.isArray(old)) near.push(fc.string({ minLength: 1, maxLength: 8 }).map((k) => ({ ...old, [k]: 1 })));
  return fc.oneof(...near);
}

/**
 * Look for a value the compiled check lets through but class-validator (the
 * strict pipe's slow path) refuses or converts otherwise: mutations of valid
 * examples, a few at a time. Returns the first such value, or undefined after
 * `runs` tries.
 */
export async function dtoCheckCounterexample(target: DtoClass, examples: readonly Json[], type: 'body' | 'query' | 'param' = 'body', runs = 1500): Promise<unknown> {
  const check = compileDtoCheck(target);
  if (check === undefined) throw new Error(`${target.name} has no compiled check`);
  const pipe = strictValidationPipe();
  // The parent's transform: class-validator itself, never the fast path under test. Besides the verdict, the
  // top-level values that are not objects are compared, which is where a conversion (@Transform) shows; objects
  // and arrays pass through the fast path as they came (class-transformer copies them, dropping keys such as
  // "toString" from an untyped object, which no controller reads).
  const primitives = (out: object) => canonicalJson(Object.fromEntries(Object.entries(out).filter(([, v]) => v === null || typeof v !== 'object')));
  const slowResult = (value: unknown): Promise<string | undefined> =>
    Object.getPrototypeOf(Object.getPrototypeOf(pipe))
      .transform.call(pipe, structuredClone(value), { type, metatype: target as never, data: undefined })
      .then(primitives, () => undefined);
  const fastResult = (value: unknown): string | undefined => {
    const out = check(structuredClone(value));
    return out === undefined ? undefined : primitives(out);
  };
  for (const example of examples) {
    if (fastResult(example) === undefined) throw new Error(`${target.name}: the compiled check refuses a valid example ${JSON.stringify(example)}`);
    if ((await slowResult(example)) === undefined) throw new Error(`${target.name}: class-validator refuses the example ${JSON.stringify(example)}`);
  }
  const mutated = fc
    .constantFrom(...examples)
    .chain((example) => fc.array(fc.nat(), { minLength: 1, maxLength: 3 }).map((picks) => ({ example, picks })))
    .chain(({ example, picks }) => {
      let value: fc.Arbitrary<Json | undefined> = fc.constant(example);
      for (const pick of picks) {
        value = value.chain((v) => {
          if (v === undefined) return fc.constant(v);
          const all = paths(v);
          const path = all[pick % all.length];
          const old = path.reduce<Json | undefined>((node, key) => (node as Record<string | number, Json> | undefined)?.[key], v);
          return variantOf(old).map((replacement) => edit(v, path, replacement));
        });
      }
      return value;
    });
  let found: unknown;
  await fc.assert(
    fc.asyncProperty(mutated, async (value) => {
      const fast = value === undefined ? undefined : fastResult(value);
      if (fast === undefined || fast === (await slowResult(value))) return true;
      found = value;
      return false;
    }),
    { numRuns: runs, seed: 20261201, endOnFailure: true },
  ).catch(() => undefined);
  return found;
}
