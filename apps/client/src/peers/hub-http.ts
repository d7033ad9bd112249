import { Logger } from '@nestjs/common';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

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

/** Told of every call's end: its route (method and path below the hub's prefix), the status (undefined: no answer), the time. */
export type HubCallObserver = (route: string, status: number | undefined, response: HubResponse | undefined, seconds: number) => void;

/**
 * One keep-alive connection pool per hub (node's own HTTP client: per call it
 * costs the same CPU as undici's Pool did, measured side by side, and a client
 * holds neither undici nor its WebAssembly parser); every call is logged as
 * method, URL, status.
 */
export class HubHttp implements HubTransport {
  private readonly agent: HttpAgent;
  private readonly send: (options: RequestOptions) => ClientRequest;
  private readonly host: string;
  private readonly port: number;
  private readonly basePath: string;
  private lastCallFailed = false;
  /** Calls under way, which close() lets end. */
  private readonly inFlight = new Set<Promise<unknown>>();
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
    const secure = baseUrl.protocol === 'https:';
    // Up to 16 connections, each kept open between calls for 30 s or, when the hub's Keep-Alive hint is shorter,
    // until a second before the hub would close it (node applies the hint only below `timeout`): a call never
    // goes out on a connection the hub is closing.
    const pool = { keepAlive: true, maxSockets: 16, timeout: 30_000 };
    this.agent = secure ? new HttpsAgent({ ...pool, ...(tls === undefined ? {} : { ca: tls.ca, cert: tls.cert, key: tls.key }) }) : new HttpAgent(pool);
    this.send = secure ? httpsRequest : httpRequest;
    this.host = baseUrl.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = baseUrl.port === '' ? (secure ? 443 : 80) : Number(baseUrl.port);
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
    const exchange = this.exchange(method, fullPath, options);
    this.inFlight.add(exchange);
    try {
      const answer = await exchange;
      note(false);
      this.logger.log(`Call ${method} ${url} ${answer.status}`);
      this.observe(`${method} ${path}`, answer.status, answer, seconds());
      return answer;
    } catch (error) {
      note(true);
      this.observe(`${method} ${path}`, undefined, undefined, seconds());
      if (options.logFailure !== false) this.logger.warn(`Call ${method} ${url} failed: ${(error as Error).message}`);
      throw error;
    } finally {
      this.inFlight.delete(exchange);
    }
  }

  /**
   * One call: the answer's bytes, never more than MAX_HUB_RESPONSE_BYTES (a
   * longer one is cut off as it comes, or at once when its stated length is
   * longer), all within the call's deadline, which counts from the start
   * (also while the call waits for one of the 16 connections) and does not
   * restart as bytes come.
   */
  private exchange(method: string, path: string, options: HubRequestOptions): Promise<HubResponse> {
    const headers: OutgoingHttpHeaders =
      options.body === undefined ? { ...options.headers } : { 'content-type': 'application/json', ...options.headers, 'content-length': Buffer.byteLength(options.body) };
    const tooLong = `answer longer than ${MAX_HUB_RESPONSE_BYTES} bytes`;
    return new Promise<HubResponse>((resolve, reject) => {
      const request = this.send({ host: this.host, port: this.port, method, path, headers, agent: this.agent });
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        request.destroy();
        reject(error);
      };
      // The deadline ends the call itself: a request still queued for a connection emits no error until it gets one.
      const deadline = setTimeout(() => fail(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      // `on`, not `once`: a destroyed request or answer may still report an error after the call has ended.
      request.on('error', fail);
      request.once('response', (response: IncomingMessage) => {
        response.on('error', fail);
        const stated = response.headers['content-length'];
        if (stated !== undefined && Number(stated) > MAX_HUB_RESPONSE_BYTES) return fail(new Error(tooLong));
        const chunks: Buffer[] = [];
        let total = 0;
        response.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > MAX_HUB_RESPONSE_BYTES) return fail(new Error(tooLong));
          chunks.push(chunk);
        });
        response.once('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total) });
        });
      });
      request.end(options.body);
    });
  }

  /** Lets the calls under way end (each within its deadline), then closes the connections. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    this.agent.destroy();
  }
}
