import { randomBytes } from 'node:crypto';
import { RecordSeal } from '@dske/core';
import { describe, expect, it } from 'vitest';
import { RecordStore, RecordWrite, StateError, StoredRecord } from './record-store';
import { STATE_RECORD_PREFIX, StateJournal, StateUnavailableError } from './state-journal';

/** A store in memory that counts its batches and can be told to fail. */
class CountingStore implements RecordStore {
  readonly where = 'test-store';
  readonly records = new Map<string, Buffer>();
  batches: RecordWrite[][] = [];
  failing = false;
  async load(prefix: string): Promise<StoredRecord[]> {
    return [...this.records].filter(([k]) => k.startsWith(prefix)).map(([key, value]) => ({ key, value }));
  }
  async write(writes: readonly RecordWrite[]): Promise<void> {
    if (this.failing) throw new Error('disk full');
    this.batches.push([...writes]);
    for (const w of writes) {
      if (w.value === undefined) this.records.delete(w.key);
      else this.records.set(w.key, w.value);
    }
  }
  async close(): Promise<void> {}
}

const setup = () => {
  const store = new CountingStore();
  const seal = new RecordSeal(randomBytes(32));
  const journal = new StateJournal(store, seal);
  /** Where a record with this key lives in the store. */
  const name = (key: string) => STATE_RECORD_PREFIX + seal.nameOf(key);
  return { store, journal, name };
};

describe('StateJournal', () => {
  it('marks in one turn share one commit, and each record goes out in its latest state, sealed', async () => {
    const { store, journal, name } = setup();
    let value = 'first';
    journal.mark('a', () => ({ value: Buffer.from(value) }));
    journal.mark('b', () => ({ value: Buffer.from('bee') }));
    const one = journal.flush();
    value = 'latest';
    const two = journal.flush();
    await Promise.all([one, two]);
    expect(store.batches).toHaveLength(1);
    expect(store.batches[0].map((w) => w.key)).toEqual([name('a'), name('b')]);
    // Neither the key nor the value shows in the store.
    expect([...store.records.keys()].every((k) => /^state:[0-9a-f]{32}$/.test(k))).toBe(true);
    expect(store.records.get(name('a'))!.includes(Buffer.from('latest'))).toBe(false);
    expect((await journal.load('a')).map((r) => r.value.toString())).toEqual(['latest']);
  });

  it('a record whose source gives undefined is deleted; a flush with nothing marked writes nothing', async () => {
    const { store, journal, name } = setup();
    journal.mark('gone', () => ({ value: Buffer.from('x') }));
    await journal.flush();
    expect(store.records.has(name('gone'))).toBe(true);
    journal.mark('gone', () => ({ value: undefined }));
    await journal.flush();
    await journal.flush();
    expect(store.batches).toHaveLength(2);
    expect(store.records.has(name('gone'))).toBe(false);
  });

  it('a flush with nothing new waits for the commit under way', async () => {
    const { store, journal, name } = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const write = store.write.bind(store);
    store.write = async (w) => {
      await gate;
      return write(w);
    };
    journal.mark('a', () => ({ value: Buffer.from('1') }));
    const first = journal.flush();
    await new Promise((r) => setImmediate(r));
    let second = false;
    const later = journal.flush().then(() => (second = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(second).toBe(false);
    release();
    await Promise.all([first, later]);
    expect(store.records.has(name('a'))).toBe(true);
  });

  it('a failed write rejects with StateUnavailableError and the next flush writes the records again', async () => {
    const { store, journal, name } = setup();
    journal.mark('a', () => ({ value: Buffer.from('1') }));
    store.failing = true;
    await expect(journal.flush()).rejects.toThrow(StateUnavailableError);
    store.failing = false;
    await journal.flush();
    expect(store.records.has(name('a'))).toBe(true);
  });

  it('the plain bytes a source gave are wiped once sealed', async () => {
    const { journal } = setup();
    const plain = Buffer.from('secret');
    journal.mark('a', () => ({ value: plain }));
    await journal.flush();
    expect([...plain]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('load refuses a record that does not open (corrupt, or sealed by another key), naming the store and the record', async () => {
    const { store, journal, name } = setup();
    journal.mark('reg:hank', () => ({ value: Buffer.from('x') }));
    journal.mark('reg:hanna', () => ({ value: Buffer.from('y') }));
    await journal.flush();
    expect((await journal.load('reg:')).map((r) => [r.key, r.value.toString()])).toEqual([['reg:hank', 'x'], ['reg:hanna', 'y']]);
    // A record moved under another record's name is refused too.
    const [hank, hanna] = [store.records.get(name('reg:hank'))!, store.records.get(name('reg:hanna'))!];
    store.records.set(name('reg:hanna'), hank);
    await expect(journal.load('reg:')).rejects.toThrow(`test-store: record ${name('reg:hanna')} does not open`);
    store.records.set(name('reg:hanna'), hanna);
    hank[20] ^= 1;
    await expect(journal.load('reg:')).rejects.toThrow(StateError);
    await expect(journal.load('reg:')).rejects.toThrow(`test-store: record ${name('reg:hank')} does not open`);
  });

  it('without a store it keeps nothing and costs nothing', async () => {
    const journal = new StateJournal(undefined, undefined);
    let read = false;
    journal.mark('a', () => ((read = true), { value: Buffer.from('1') }));
    await journal.flush();
    expect(read).toBe(false);
    expect(await journal.load('')).toEqual([]);
  });
});
