import { isValidName, NAME_RULE } from './names';
import { integerBounds, integerExpectation, isAcceptedUrl, isIntegerInBounds, urlExpectation } from './rules';
import { SettingError, type SettingSpec } from './settings';
import { quote, redactUrl } from './text';

/**
 * Parses one raw command-line or environment value. Lists accept spaces or
 * commas as separators, so the same parser reads `--hubs a b`, `--hubs a,b`
 * and `DSKE_HUBS="a b"`.
 */
export function parseSettingValue(spec: SettingSpec, raw: string): number | string | string[] {
  const value = raw.trim();
  switch (spec.kind) {
    case 'port':
    case 'positive-int':
      return parseInteger(spec, value, raw);
    case 'string':
      if (value === '' || /\s/.test(value)) throw new SettingError(spec.flag, `expected a non-empty value without spaces, got ${quote(raw)}`);
      return value;
    case 'path':
      if (value === '') throw new SettingError(spec.flag, 'expected a file path, got an empty value');
      return value;
    case 'choice':
      if (!(spec.choices ?? []).includes(value)) throw new SettingError(spec.flag, `expected one of ${(spec.choices ?? []).join(', ')}, got ${quote(raw)}`);
      return value;
    case 'url':
      return parseUrl(spec, value);
    case 'url-list':
      return parseList(spec, value, raw, 'URL', (item) => parseUrl(spec, item));
    case 'name-list':
      return parseList(spec, value, raw, 'name', (item) => parseName(spec, item));
  }
}

function parseInteger(spec: SettingSpec, value: string, raw: string): number {
  const bounds = integerBounds(spec);
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!isIntegerInBounds(n, bounds)) throw new SettingError(spec.flag, `${integerExpectation(bounds)}, got ${quote(raw)}`);
  return n;
}

function parseUrl(spec: SettingSpec, value: string): string {
  if (!isAcceptedUrl(spec, value)) throw new SettingError(spec.flag, `${urlExpectation(spec)}, got ${quote(redactUrl(value))}`);
  return value;
}

function parseName(spec: SettingSpec, value: string): string {
  if (!isValidName(value)) throw new SettingError(spec.flag, `invalid name ${quote(value)} (${NAME_RULE})`);
  return value;
}

function parseList(spec: SettingSpec, value: string, raw: string, what: string, parseItem: (item: string) => string): string[] {
  const items = value.split(/[\s,]+/).filter((item) => item !== '');
  // An empty encryptor list is a client serving no SAE; an empty hub list is never useful.
  if (items.length === 0 && spec.kind === 'url-list') throw new SettingError(spec.flag, `expected at least one ${what}, got ${quote(raw)}`);
  const seen = new Set<string>();
  return items.map((item) => {
    const parsed = parseItem(item);
    if (seen.has(parsed)) throw new SettingError(spec.flag, `duplicate ${what} ${quote(spec.kind === 'url-list' ? redactUrl(parsed) : parsed)}`);
    seen.add(parsed);
    return parsed;
  });
}
