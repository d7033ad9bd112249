import type { ApiErrorBody } from './api-error';
import { outcomeOf } from './node-metrics';

/** One answered (or abandoned) HTTP request, as the node's metrics see it. */
export interface CompletedRequest {
  method: string;
  /** The route's pattern without the node's /KIND/NAME prefix (e.g. /etsi/api/v1/keys/:slave_SAE_ID/enc_keys); undefined when no route matched. */
  route: string | undefined;
  /** The path asked for, without the node's prefix and the query: for refusals made before routing (no route). */
  path: string;
  status: number;
  /** The JSON error body sent, for a refusal. */
  error?: ApiErrorBody;
  seconds: number;
  /** The caller hung up before the answer was sent. */
  aborted: boolean;
}

/** A node's own accounting of its requests (latency histograms, recent ETSI errors). */
export interface RequestObserver {
  observeRequest(done: CompletedRequest): void;
}

export const REQUEST_OBSERVER = Symbol('REQUEST_OBSERVER');

/** The outcome label of a request: `aborted` when the caller hung up, else as outcomeOf (`ok`, the error code, or `http-STATUS`). */
export function requestOutcome(done: CompletedRequest): string {
  return done.aborted ? 'aborted' : outcomeOf(done.status, done.error?.code);
}

/** The route pattern below the node's prefix: `/client/carol/etsi/...` -> `/etsi/...`; a root route stays as it is. */
export function routeBelowPrefix(pattern: unknown, nodePrefix: string): string | undefined {
  if (typeof pattern !== 'string') return undefined;
  return pattern.startsWith(`${nodePrefix}/`) ? pattern.slice(nodePrefix.length) : pattern;
}
