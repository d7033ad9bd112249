/** Comparing generated files with the ones on disk (for `--check` and the drift test). */

export interface Drift {
  file: string;
  /** One or more lines saying how the file on disk differs from what the topology gives. */
  message: string;
}

/**
 * `expected` is what the generator gives; `actual` is the file on disk
 * (undefined: missing). Returns undefined when they are equal byte for byte.
 */
export function describeDrift(file: string, expected: string | undefined, actual: string | undefined): Drift | undefined {
  if (expected === actual) return undefined;
  if (actual === undefined) return { file, message: `${file}: missing (the generator writes it)` };
  if (expected === undefined) return { file, message: `${file}: generated earlier but no longer part of the output (delete it or regenerate)` };
  const want = expected.split('\n');
  const have = actual.split('\n');
  let line = 0;
  while (line < want.length && line < have.length && want[line] === have[line]) line++;
  const show = (text: string | undefined): string => (text === undefined ? '(end of file)' : JSON.stringify(text));
  return {
    file,
    message: [
      `${file}: differs from the generator's output, first at line ${line + 1} (${have.length} lines on disk, ${want.length} generated)`,
      `  - on disk:   ${show(have[line])}`,
      `  + generated: ${show(want[line])}`,
    ].join('\n'),
  };
}

/** Every difference between two file maps (keys are paths); sorted by path. */
export function compareGenerated(expected: Record<string, string>, actual: Record<string, string | undefined>): Drift[] {
  const files = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  return files.flatMap((file) => describeDrift(file, expected[file], actual[file]) ?? []);
}
