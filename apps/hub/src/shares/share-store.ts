import { ApiError } from '@dske/service-runtime';

/** A key share held by a hub until the responder's client fetches it. */
export interface StoredShare {
  user_key_id: string;
  master_client_name: string;
  master_sae_id: string;
  slave_sae_id: string;
  share_index: number;
  /** The share's bytes (never logged, never in status); a Buffer, so it can be wiped. */
  share: Buffer;
}

export type ShareSummary = Omit<StoredShare, 'share'> & { size: number };

/**
 * Shares live for the hub's share timeout and are delivered once. `remove`
 * is the atomic half of a take: of two concurrent fetches only one gets true.
 * A store that cannot answer throws storeUnavailable (503), never a bare error.
 */
export interface ShareStore {
  /** Keeps its own (sealed or copied) form: the caller's buffer is the caller's to wipe. */
  put(share: StoredShare, ttlSecs: number): Promise<boolean>;
  /** Whether a record is kept under this key ID, without opening it (a record that would not open counts too). */
  has(userKeyId: string): Promise<boolean>;
  peek(userKeyId: string): Promise<StoredShare | undefined>;
  remove(userKeyId: string): Promise<boolean>;
  list(): Promise<ShareSummary[]>;
  /** Undefined while the store answers, else why it does not (one line, no secrets). */
  unavailableReason(): string | undefined;
  close(): Promise<void>;
}

export const SHARE_STORE = Symbol('SHARE_STORE');

export function summarize(share: StoredShare): ShareSummary {
  const { share: value, ...rest } = share;
  return { ...rest, size: value.length };
}

/** The record as a store outside the process keeps it (sealed by the caller): the share in base64. */
export function encodeShare(share: StoredShare): Buffer {
  return Buffer.from(JSON.stringify({ ...share, share: share.share.toString('base64') }), 'utf8');
}

export function decodeShare(bytes: Buffer): StoredShare {
  const record = JSON.parse(bytes.toString('utf8')) as Omit<StoredShare, 'share'> & { share: string };
  bytes.fill(0);
  return { ...record, share: Buffer.from(record.share, 'base64') };
}

/** The hub's answer while its store is away: the client counts this hub out for the request. */
export function storeUnavailable(reason: string): ApiError {
  return new ApiError(503, 'store.unavailable', `share store unavailable: ${reason}`);
}
