import { ApiError } from '@dske/service-runtime';

/** A key share held by a hub until the responder's client fetches it. */
export interface StoredShare {
  user_key_id: string;
  master_client_name: string;
  master_sae_id: string;
  slave_sae_id: string;
  share_index: number;
  /** base64 share value (never logged, never in status). */
  share: string;
}

export type ShareSummary = Omit<StoredShare, 'share'> & { size: number };

/**
 * Shares live for the hub's share timeout and are delivered once. `remove`
 * is the atomic half of a take: of two concurrent fetches only one gets true.
 * A store that cannot answer throws storeUnavailable (503), never a bare error.
 */
export interface ShareStore {
  put(share: StoredShare, ttlSecs: number): Promise<boolean>;
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
  return { ...rest, size: Buffer.from(value, 'base64').length };
}

/** The hub's answer while its store is away: the client counts this hub out for the request. */
export function storeUnavailable(reason: string): ApiError {
  return new ApiError(503, 'store.unavailable', `share store unavailable: ${reason}`);
}
