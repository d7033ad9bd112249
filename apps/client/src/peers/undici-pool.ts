/**
 * undici's connection pool and its request(), without undici's index: that
 * also loads, and runs at start, fetch, WebSocket, EventSource, caches, mock
 * and proxy agents, 370 KB of source every client kept and never used.
 * request() is the function the index puts on every dispatcher's prototype;
 * here it is called on the pool, and nothing global is changed.
 */
import type { Dispatcher, Pool as UndiciPool } from 'undici';
import PoolClass from 'undici/lib/dispatcher/pool';
import apiRequest from 'undici/lib/api/api-request';

export type Pool = UndiciPool;
export const Pool = PoolClass;

/** `pool.request(options)` of undici's index: the answer's status, headers and body stream. */
export function poolRequest(pool: Pool, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return apiRequest.call(pool, options);
}
