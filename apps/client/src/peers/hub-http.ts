import { Logger } from '@nestjs/common';
import { Pool, poolRequest } from './undici-pool';

export interface HubResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Raw response bytes (what the hub's signature covers). */
  body: Buffer;
}

export interface HubRequestOptions {
  query?: string;
  body?: string;
  headers?: Record<string, string>;
  /** false leaves logging a failed call to the caller (a retry loop that would log one line per second). */
  logFailure?: boolean;
}

/** How a client talks to one hub: HubHttp over the network, or a scripted hub in unit tests. */
export interface HubTransport {
  request(method: 'GET' | 'PUT' | 'POST', path: string, options?: HubRequestOptions): Promise<HubResponse>;
  /** False after a call got no answer, until one gets any answer. */
  readonly reachable: boolean;
  /** The path as the hub sees it (with the hub's prefix), which a v2 signature covers. */
  fullPath(path: string): string;
  close(): Promise<void>;
}

/**
 * The largest answer a hub gives: a PSRD block of the largest size in base64
 * (1 MiB -> 1.4 MB) with its JSON. A longer one is not read, so a hub (or
 * whoever answers in its place) cannot make this client buffer without end.
 */
export const MAX_HUB_RESPONSE_BYTES = 2 * 1024 * 1024;

interface ResponseBody extends AsyncIterable<Buffer | Uint8Array> {
  arrayBuffer(): Promise<ArrayBuffer>;
  destroy(error?: Error): void;
}

/**
 * The answer's bytes, never more than `max`: read at once when its stated
 * length is within `max` (undici reads exactly that many), chunk by chunk
 * with a count otherwise (the async iterator costs a third of a call's CPU).
 */
async function readCapped(stream: ResponseBody, length: string | string[] | undefined, max: number): Promise<Buffer> {
  const declared = typeof length === 'string' && /^[0-9]+$/.test(length) ? Number(length) : undefined;
  if (declared !== undefined && declared > max) {
    stream.destroy();
    throw new Error(`answer longer than ${max} bytes`);
  }
  if (declared !== undefined) return Buffer.from(await stream.arrayBuffer());
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > max) {
      stream.destroy();
      throw new Error(`answer longer than ${max} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Told of every call's end: its route (method and path below the hub's prefix), the status (undefined: no answer), the time. */
export type HubCallObserver = (route: string, status: number | undefined, response: HubResponse | undefined, seconds: number) => void;

/** One keep-alive connection pool per hub; every call is logged as method, URL, status. */
export class HubHttp implements HubTransport {
  private readonly pool: Pool;
  private readonly basePath: string;
  private lastCallFailed = false;
  /** Calls are numbered as they start; `lastCallFailed` holds the outcome of the latest-started call that ended. */
  private calls = 0;
  private outcomeOf = 0;

  /**
   * `tls`: for an https:// hub, the CA its certificate must chain to and this
   * client's own certificate, which the hub's oob API asks for.
   */
  constructor(
    readonly baseUrl: URL,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    tls?: { cert: Buffer; key: Buffer; ca: Buffer },
    private readonly observe: HubCallObserver = () => undefined,
  ) {
    const secure = baseUrl.protocol === 'https:' && tls !== undefined ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {};
    this.pool = new Pool(baseUrl.origin, { connections: 16, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: timeoutMs, ...secure } });
    this.basePath = baseUrl.pathname.replace(/\/$/, '');
  }

  /** False after a call got no answer (connection refused, reset or timed out), until one gets any answer. */
  get reachable(): boolean {
    return !this.lastCallFailed;
  }

  fullPath(path: string): string {
    return `${this.basePath}${path}`;
  }

  async request(method: 'GET' | 'PUT' | 'POST', path: string, options: HubRequestOptions = {}): Promise<HubResponse> {
    const fullPath = `${this.fullPath(path)}${options.query ? `?${options.query}` : ''}`;
    const url = `${this.baseUrl.origin}${fullPath}`;
    const call = ++this.calls;
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const note = (failed: boolean) => {
      if (call > this.outcomeOf) [this.outcomeOf, this.lastCallFailed] = [call, failed];
    };
    // The whole call's deadline (undici's own timeouts restart with every chunk). A timer cleared when the call
    // ends: AbortSignal.timeout's stays armed for the full timeout and builds a DOMException when it fires, for
    // every call (3 % of a client's CPU).
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    try {
      const response = await poolRequest(this.pool, {
        method,
        path: fullPath,
        headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
        body: options.body,
        signal: controller.signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const body = await readCapped(response.body, response.headers['content-length'], MAX_HUB_RESPONSE_BYTES);
      note(false);
      this.logger.log(`Call ${method} ${url} ${response.statusCode}`);
      const answer = { status: response.statusCode, headers: response.headers, body };
      this.observe(`${method} ${path}`, answer.status, answer, seconds());
      return answer;
    } catch (error) {
      note(true);
      this.observe(`${method} ${path}`, undefined, undefined, seconds());
      if (options.logFailure !== false) this.logger.warn(`Call ${method} ${url} failed: ${(error as Error).message}`);
      throw error;
    } finally {
      clearTimeout(deadline);
    }
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => undefined);
  }
}
