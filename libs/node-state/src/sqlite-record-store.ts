import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { RecordStore, RecordWrite, StateError, StoredRecord } from './record-store';

/**
 * `full`: every commit is fsynced, so state survives a power loss as well as a
 * crash of the process. `normal`: a commit reaches the operating system before
 * the node goes on (it survives kill -9) and is fsynced at checkpoints; a
 * power loss may lose the last commits, and with them the record that bytes
 * were used.
 */
export type SyncPolicy = 'full' | 'normal';

/** How often used bytes left in the write-ahead log are cut away (a checkpoint that truncates it). */
const CHECKPOINT_EVERY_MS = 1_000;

/**
 * The embedded backend: one SQLite file per node (better-sqlite3). WAL mode,
 * secure_delete so that overwritten and deleted records are zeroed in the
 * file, and a truncating checkpoint every second while writes come in, so the
 * write-ahead log does not keep older copies of blocks for long. Calls are
 * synchronous: a commit is done when write() returns.
 */
export class SqliteRecordStore implements RecordStore {
  private readonly db: Database.Database;
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly insertNew: Database.Statement;
  private readonly getOne: Database.Statement;
  private readonly byPrefix: Database.Statement;
  private readonly sweep: Database.Statement;
  private readonly batch: (writes: readonly RecordWrite[]) => void;
  private readonly checkpointTimer: NodeJS.Timeout;
  private written = false;

  private constructor(
    readonly where: string,
    db: Database.Database,
  ) {
    this.db = db;
    this.upsert = db.prepare('INSERT INTO records (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at');
    this.remove = db.prepare('DELETE FROM records WHERE key = ?');
    this.insertNew = db.prepare('INSERT INTO records (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING');
    this.getOne = db.prepare('SELECT value, expires_at AS expiresAt FROM records WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)');
    this.byPrefix = db.prepare('SELECT key, value, expires_at AS expiresAt FROM records WHERE key >= ? AND key < ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY key');
    this.sweep = db.prepare('DELETE FROM records WHERE expires_at IS NOT NULL AND expires_at <= ?');
    this.batch = db.transaction((writes: readonly RecordWrite[]) => {
      for (const w of writes) {
        if (w.value === undefined) this.remove.run(w.key);
        else this.upsert.run(w.key, w.value, w.expiresAt ?? null);
      }
    });
    this.checkpointTimer = setInterval(() => this.checkpoint(), CHECKPOINT_EVERY_MS);
    this.checkpointTimer.unref();
  }

  /**
   * Open (or create) the state file. A file that is not a database, or fails
   * SQLite's check, is refused with its name: a node does not start on half a
   * state.
   */
  static open(file: string, sync: SyncPolicy = 'full'): SqliteRecordStore {
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      db = new Database(file);
      // Readable by this node's user only; SQLite gives its -wal and -shm files the same mode.
      chmodSync(file, 0o600);
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check failed: ${String(check).split('\n')[0]}`);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('secure_delete = ON');
      db.exec('CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at INTEGER) WITHOUT ROWID');
      return new SqliteRecordStore(file, db);
    } catch (error) {
      db?.close();
      const reason = (error as Error).message;
      throw new StateError(file, `not a usable state file (${reason}); move it away to start this node afresh`);
    }
  }

  async load(prefix: string): Promise<StoredRecord[]> {
    return this.loadNow(prefix);
  }

  loadNow(prefix: string): StoredRecord[] {
    const rows = this.byPrefix.all(prefix, prefixEnd(prefix), Date.now()) as Array<{ key: string; value: Buffer; expiresAt: number | null }>;
    return rows.map((r) => ({ key: r.key, value: r.value, ...(r.expiresAt === null ? {} : { expiresAt: r.expiresAt }) }));
  }

  async write(writes: readonly RecordWrite[]): Promise<void> {
    this.writeNow(writes);
  }

  writeNow(writes: readonly RecordWrite[]): void {
    if (writes.length === 0) return;
    this.batch(writes);
    this.written = true;
  }

  /** Insert unless a live record has the key (an expired one is replaced); true when inserted. */
  insertIfAbsent(key: string, value: Buffer, expiresAt: number): boolean {
    return this.db.transaction(() => {
      if (this.getOne.get(key, Date.now()) !== undefined) return false;
      this.remove.run(key);
      return this.insertNew.run(key, value, expiresAt).changes === 1;
    })();
  }

  get(key: string): Buffer | undefined {
    return (this.getOne.get(key, Date.now()) as { value: Buffer } | undefined)?.value;
  }

  /** Delete a live record; true when there was one. */
  delete(key: string): boolean {
    return this.db.transaction(() => this.getOne.get(key, Date.now()) !== undefined && this.remove.run(key).changes === 1)();
  }

  /** Delete what has expired (zeroed in the file by secure_delete). */
  removeExpired(): number {
    return this.sweep.run(Date.now()).changes;
  }

  private checkpoint(): void {
    if (!this.db.open) return;
    try {
      if (this.removeExpired() > 0) this.written = true;
      if (!this.written) return;
      this.written = false;
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Busy or closing: the next tick checkpoints.
    }
  }

  async close(): Promise<void> {
    clearInterval(this.checkpointTimer);
    if (!this.db.open) return;
    this.written = true;
    this.checkpoint();
    this.db.close();
  }
}

/** The smallest string above every string that starts with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix + '\uffff';
}
