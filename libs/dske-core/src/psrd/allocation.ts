import { Fragment, fragmentsToText } from './fragment';

/**
 * Bytes allocated from a local pool: where they came from (to tell the
 * peer) and their values (to use as a key). Holding the values lets an
 * allocation that never left this node be given back.
 */
export class Allocation {
  constructor(
    readonly fragments: readonly Fragment[],
    readonly bytes: Uint8Array,
  ) {}

  get size(): number {
    return this.bytes.length;
  }

  toText(): string {
    return fragmentsToText(this.fragments);
  }

  toWire(): { fragments: Fragment[] } {
    return { fragments: this.fragments.map((f) => ({ ...f })) };
  }
}
