import { Command, Option } from 'commander';
import { isValidName, NODE_NAME_ENV, SettingSpec, SettingError, parseSettingValue } from '@dske/topology/nodes';

// What a node sets up before NestJS loads.
export { deferDateTimeFormat } from './log-time';

export type SettingValues = Record<string, number | string | string[] | undefined>;

export interface NodeCommandLine {
  name: string;
  settings: SettingValues;
}

const isList = (spec: SettingSpec) => spec.kind === 'url-list' || spec.kind === 'name-list';

/**
 * Parse a node program's command line (`hub NAME --port P ...`). Every
 * option comes from the topology library's setting specs, with its default
 * and its environment variable, so `--help`, the manager and the container
 * environment can never disagree. Exits with a one-line message on bad input.
 */
export function parseNodeCommandLine(
  program: 'hub' | 'client',
  description: string,
  specs: readonly SettingSpec[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): NodeCommandLine {
  const command = new Command(program)
    .description(description)
    .argument(`[name]`, `${program === 'hub' ? 'Hub' : 'Client'} name (or ${NODE_NAME_ENV})`)
    .helpOption('-h, --help', 'show this help message and exit')
    .showHelpAfterError(false)
    // One line, prefixed like our own errors: "hub: error: unknown option '--bogus'".
    .configureOutput({ outputError: (text, write) => write(`${program}: ${text.trim().split('\n')[0]}\n`) })
    .exitOverride((error) => {
      process.exit(error.exitCode === 0 ? 0 : 2);
    });
  for (const spec of specs) {
    const placeholder = spec.key.toUpperCase();
    // The user guide's hub takes -p as well as --port.
    const long = program === 'hub' && spec.key === 'port' ? `-p, ${spec.flag}` : spec.flag;
    const flags = isList(spec) ? `${long} <${placeholder}...>` : `${long} <${placeholder}>`;
    const option = new Option(flags, spec.description).env(spec.env);
    // The second argument is what --help shows: 8100, as in the user guide, rather than "8100".
    if (spec.default !== undefined) option.default(String(spec.default), String(spec.default));
    // Validation happens below, after env fallback, so both sources get the same checks.
    command.addOption(option);
  }
  command.addHelpText('after', '\nLong options may also be written with underscores (--start-request-psrd_threshold, as in the user guide).');
  command.parse(hyphenateLongOptions(argv, specs.map((spec) => spec.flag)), { from: 'user' });

  const fail = (message: string): never => {
    process.stderr.write(`${program}: error: ${message}\n`);
    process.exit(2);
  };
  const name = command.args[0] ?? env[NODE_NAME_ENV];
  if (!name) fail(`missing node name (argument or ${NODE_NAME_ENV})`);
  if (!isValidName(name!)) fail(`node name '${name}' must be a lower-case DNS label`);

  const opts = command.opts<Record<string, string | string[] | undefined>>();
  const settings: SettingValues = {};
  for (const spec of specs) {
    const attribute = spec.flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const raw = opts[attribute];
    if (raw === undefined) continue;
    try {
      settings[spec.key] = parseSettingValue(spec, Array.isArray(raw) ? raw.join(' ') : raw);
    } catch (error) {
      // Name the variable when the bad value came from the environment.
      const fromEnv = command.getOptionValueSource(attribute) === 'env' ? ` (from ${spec.env})` : '';
      fail(error instanceof SettingError ? `${error.message}${fromEnv}` : String(error));
    }
  }
  return { name: name!, settings };
}

/**
 * `--share_timeout_secs` reads as `--share-timeout-secs`: the user guide's
 * client usage spells one flag `--start-request-psrd_threshold`, and the
 * config file's keys use underscores. Only arguments that then name one of
 * `flags` change (never a value such as a token, nor anything after `--`).
 */
export function hyphenateLongOptions(argv: readonly string[], flags: readonly string[]): string[] {
  const known = new Set(flags);
  const end = argv.indexOf('--');
  return argv.map((arg, i) => {
    if ((end !== -1 && i >= end) || !arg.startsWith('--') || !arg.includes('_')) return arg;
    const eq = arg.indexOf('=');
    const name = (eq === -1 ? arg : arg.slice(0, eq)).replace(/_/g, '-');
    return known.has(name) ? name + (eq === -1 ? '' : arg.slice(eq)) : arg;
  });
}
export * from './node-secrets';
