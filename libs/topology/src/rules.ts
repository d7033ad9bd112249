/**
 * Value rules shared by the command-line parser and the config loader, so a
 * setting is judged the same way wherever it comes from. Each returns the
 * expectation text; callers add what they got.
 */
import { MAX_PORT, type SettingSpec } from './settings';

export interface IntegerBounds {
  min: number;
  max?: number;
}

export function integerBounds(spec: SettingSpec): IntegerBounds {
  return spec.kind === 'port' ? { min: 1, max: MAX_PORT } : { min: 1, max: spec.max };
}

export function integerExpectation(bounds: IntegerBounds): string {
  return bounds.max === undefined ? 'expected a positive integer' : `expected an integer from ${bounds.min} to ${bounds.max}`;
}

export function isIntegerInBounds(value: unknown, bounds: IntegerBounds): value is number {
  return (
    typeof value === 'number' &&
    Number.isSafeInteger(value) &&
    value >= bounds.min &&
    (bounds.max === undefined || value <= bounds.max)
  );
}

export function urlExpectation(spec: SettingSpec): string {
  const schemes = (spec.schemes ?? []).map((s) => `${s}//`);
  return `expected a URL starting with ${schemes.join(' or ')}`;
}

/** True for an absolute URL with one of the spec's schemes and a host. */
export function isAcceptedUrl(spec: SettingSpec, raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  // Non-special schemes parse without a host ('redis:x'), which no client can reach.
  return (spec.schemes ?? []).includes(url.protocol) && url.host !== '' && !/\s/.test(raw);
}
