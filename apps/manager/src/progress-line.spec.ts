import { describe, expect, it } from 'vitest';
import { progressText, TerminalStatusLine } from './progress-line';

const ERASE = '\r\x1b[2K';

describe('TerminalStatusLine', () => {
  const terminal = (columns = 80) => {
    const written: string[] = [];
    return { written, line: new TerminalStatusLine((t) => written.push(t), () => columns) };
  };

  it('updates one line in place; normal lines go above it, and it is drawn again below them', () => {
    const { written, line } = terminal();
    line.above('Starting hub hank on port 8100');
    line.show('0 of 2 nodes ready · waiting for hub hank');
    line.show('1 of 2 nodes ready · waiting for client carol');
    line.above('Starting client carol on port 8101');
    line.done('2 of 2 nodes ready in 3.1 s');
    line.done();
    expect(written).toEqual([
      'Starting hub hank on port 8100\n',
      `${ERASE}0 of 2 nodes ready · waiting for hub hank`,
      `${ERASE}1 of 2 nodes ready · waiting for client carol`,
      `${ERASE}Starting client carol on port 8101\n1 of 2 nodes ready · waiting for client carol`,
      `${ERASE}2 of 2 nodes ready in 3.1 s\n`,
    ]);
    // The terminal shows: the two lines, then the final one.
    const screen = written.join('').split('\n').map((row) => row.split('\r').pop()!.replace('\x1b[2K', ''));
    expect(screen).toEqual(['Starting hub hank on port 8100', 'Starting client carol on port 8101', '2 of 2 nodes ready in 3.1 s', '']);
  });

  it('takes itself away for a line on another stream, and clears itself at the end', () => {
    const { written, line } = terminal();
    const other: string[] = [];
    line.aside(() => other.push('no status line yet'));
    line.show('asking 1 of 3 nodes to stop · client carol');
    line.aside(() => other.push('Could not stop client carol'));
    line.done();
    expect(other).toEqual(['no status line yet', 'Could not stop client carol']);
    expect(written).toEqual([`${ERASE}asking 1 of 3 nodes to stop · client carol`, ERASE, 'asking 1 of 3 nodes to stop · client carol', ERASE]);
  });

  it('never wraps: a line wider than the terminal is cut with an ellipsis', () => {
    const { written, line } = terminal(30);
    line.show(progressText(1, 10, 'ready', ['hub hank', 'hub helen', 'hub hilary']));
    expect(written[0]).toBe(`${ERASE}1 of 10 nodes ready · waitin…`);
    expect(written[0].length - ERASE.length).toBe(29);
  });
});

describe('progressText', () => {
  it('n of N, and what is still awaited', () => {
    expect(progressText(3, 10, 'ready', ['hub hugo', 'client carol'])).toBe('3 of 10 nodes ready · waiting for hub hugo, client carol');
    expect(progressText(10, 10, 'stopped', [])).toBe('10 of 10 nodes stopped');
  });
});
