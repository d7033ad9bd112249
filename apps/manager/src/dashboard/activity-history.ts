/**
 * Per-second rates from a counter read once per poll: the charts' series.
 * A counter that went down (the node restarted) counts from zero again; a
 * poll without an answer is a gap (null), and the next answer's count is
 * taken as the new reference rather than spread over the gap.
 */
export class RateSeries {
  private readonly values: Array<number | null> = [];
  private last: { count: number; at: number } | undefined;

  constructor(private readonly length: number) {}

  /** One poll: the counter's value (undefined: no answer) at `at` ms. */
  record(count: number | undefined, at: number): void {
    if (count === undefined) {
      this.push(null);
      this.last = undefined;
      return;
    }
    const previous = this.last;
    this.last = { count, at };
    if (previous === undefined) {
      this.push(null);
      return;
    }
    const seconds = Math.max((at - previous.at) / 1000, 0.001);
    const delta = count >= previous.count ? count - previous.count : count;
    this.push(delta / seconds);
  }

  get series(): Array<number | null> {
    return [...Array(Math.max(0, this.length - this.values.length)).fill(null), ...this.values];
  }

  private push(value: number | null): void {
    this.values.push(value);
    if (this.values.length > this.length) this.values.shift();
  }
}
