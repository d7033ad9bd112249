/**
 * One HTTP request to a node. node:http with `agent: false` sends
 * `Connection: close`, so the manager never holds idle keep-alive sockets
 * that would keep it running after its work is done.
 */
import { request } from 'node:http';

export interface HttpAnswer {
  status: number;
  text: string;
  /** The parsed body when it is JSON, else undefined. */
  json: unknown;
}

/** The node did not answer; `reason` is short enough for a one-line report. */
export class HttpFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'HttpFailure';
  }
}

export interface HttpOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
};

function failureReason(error: NodeJS.ErrnoException): string {
  return (error.code && REASONS[error.code]) ?? error.message;
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function httpRequest(method: 'GET' | 'POST', url: string, options: HttpOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers: { accept: 'application/json', ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => reject(new HttpFailure(failureReason(error))));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text, json: parseJson(text) });
      });
    });
    // One deadline for the whole exchange, not an idle timeout: a node that
    // trickles bytes must not hold the manager forever.
    const timer = setTimeout(() => req.destroy(new HttpFailure(`no answer within ${options.timeoutMs / 1000} s`)), options.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (error: NodeJS.ErrnoException) => reject(error instanceof HttpFailure ? error : new HttpFailure(failureReason(error))));
    req.end();
  });
}
