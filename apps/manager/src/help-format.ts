/**
 * Help in the layout of the user guide's manager.py (Python argparse):
 * lower-case "usage:", a "positional arguments:" section listing
 * {sub,commands}, "options:" with -h first and `--flag VALUE` terms, and the
 * description column at most 24 characters in. Commander's own layout differs
 * enough that the guide's listings would not match.
 */
import type { Command } from 'commander';

export interface HelpLayout {
  /** Everything after "usage: ". */
  usage: string;
  /** Positional arguments other than the subcommand choice. */
  positionals?: ReadonlyArray<readonly [term: string, description: string]>;
  /** Text after the options (decisions, environment, exit status). */
  epilog?: string;
}

export const HELP_FLAGS = '-h, --help';
export const HELP_DESCRIPTION = 'show this help message and exit';

/** argparse's max_help_position. */
const MAX_COLUMN = 24;

interface Item {
  head: string;
  description?: string;
}

/** "--size <SIZE>" becomes "--size SIZE", as argparse shows a metavar. */
export function optionTerm(flags: string): string {
  return flags.replace(/<([^>]+)>/g, '$1');
}

function section(title: string, items: Item[], column: number): string[] {
  if (items.length === 0) return [];
  const lines = [`${title}:`];
  for (const { head, description } of items) {
    if (description === undefined) lines.push(head);
    else if (head.length + 2 <= column) lines.push(head.padEnd(column) + description);
    else lines.push(head, ' '.repeat(column) + description);
  }
  return [...lines, ''];
}

export function formatArgparseHelp(cmd: Command, layout: HelpLayout): string {
  const positionals: Item[] = [
    ...(layout.positionals ?? []).map(([term, description]) => ({ head: `  ${term}`, description })),
    ...cmd.registeredArguments.filter((a) => a.description).map((a) => ({ head: `  ${a.name()}`, description: a.description })),
  ];
  if (cmd.commands.length > 0) {
    positionals.push({ head: `  {${cmd.commands.map((c) => c.name()).join(',')}}` });
    positionals.push(...cmd.commands.map((c) => ({ head: `    ${c.name()}`, description: c.description() })));
  }
  const options: Item[] = [
    { head: `  ${HELP_FLAGS}`, description: HELP_DESCRIPTION },
    ...cmd.options.filter((o) => !o.hidden).map((o) => ({ head: `  ${optionTerm(o.flags)}`, description: o.description })),
  ];
  const widest = Math.max(...[...positionals, ...options].map((item) => item.head.length));
  const column = Math.min(MAX_COLUMN, widest + 2);
  const description = cmd.description();
  const lines = [
    `usage: ${layout.usage}`,
    '',
    ...(description ? [description, ''] : []),
    ...section('positional arguments', positionals, column),
    ...section('options', options, column),
    ...(layout.epilog ? [layout.epilog.trimEnd(), ''] : []),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Give `cmd` argparse-style help. */
export function useArgparseHelp(cmd: Command, layout: HelpLayout): Command {
  return cmd.helpOption(HELP_FLAGS, HELP_DESCRIPTION).configureHelp({ formatHelp: () => formatArgparseHelp(cmd, layout) });
}
