/** Turns setting values into a node's argv or environment, driven by the setting specs. */
import { NODE_NAME_ENV, type SettingSpec } from './settings';

export type SettingValue = number | string | readonly string[];
/** Keyed by SettingSpec.key; undefined means "not given, let the node use its default". */
export type SettingValues = Readonly<Record<string, SettingValue | undefined>>;

/** argv for a node program: the name, then `--flag value` (lists: `--flag a b c`) in spec order. */
export function nodeArgs(name: string, specs: readonly SettingSpec[], values: SettingValues): string[] {
  const args = [name];
  for (const spec of specs) {
    const value = values[spec.key];
    if (value === undefined) continue;
    if (typeof value === 'object') {
      if (value.length > 0) args.push(spec.flag, ...value);
    } else {
      args.push(spec.flag, String(value));
    }
  }
  return args;
}

/** Environment for a node container: the name in DSKE_NAME, lists space separated, empty lists left out. */
export function nodeEnvironment(name: string, specs: readonly SettingSpec[], values: SettingValues): Record<string, string> {
  const env: Record<string, string> = { [NODE_NAME_ENV]: name };
  for (const spec of specs) {
    const value = values[spec.key];
    if (value === undefined) continue;
    if (typeof value === 'object') {
      if (value.length > 0) env[spec.env] = value.join(' ');
    } else {
      env[spec.env] = String(value);
    }
  }
  return env;
}
