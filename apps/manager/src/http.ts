/**
 * One HTTP or HTTPS request to a node. node:http(s) with `agent: false` sends
 * `Connection: close`, so the manager never holds idle keep-alive sockets
 * that would keep it running after its work is done. HTTPS (a client of a
 * topology with tls_dir) trusts the given CA and may present a certificate
 * (an encryptor's, for the ETSI API).
 */
import { request as plainRequest, type Agent, type IncomingMessage } from 'node:http';
import { request as tlsRequest } from 'node:https';

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

/** What an HTTPS request trusts and presents (PEM). */
export interface TlsOptions {
  /** CA(s) the server certificate must chain to; without it, the system's CAs. */
  ca?: Buffer | string;
  /** Client certificate and its key (mutual TLS). */
  cert?: Buffer | string;
  key?: Buffer | string;
}

export interface HttpOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Used for https: URLs only. */
  tls?: TlsOptions;
  /** A keep-alive agent for a caller that asks the same node again and again (the dashboard); default: one connection per request. */
  agent?: Agent;
}

/** The reason given when nothing listens at a node's address: the node is not running. */
export const NOT_LISTENING = 'connection refused';

const REASONS: Record<string, string> = {
  ECONNREFUSED: NOT_LISTENING,
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
};

/** OpenSSL and Node certificate errors (UNABLE_TO_VERIFY_LEAF_SIGNATURE, ERR_TLS_CERT_ALTNAME_INVALID, ERR_SSL_...). */
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/;

export function failureReason(error: NodeJS.ErrnoException): string {
  if (error.code && REASONS[error.code]) return REASONS[error.code];
  if (error.code && TLS_CODE.test(error.code)) return `TLS: ${error.message.split('\n')[0]}`;
  return error.message.split('\n')[0];
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
    const https = new URL(url).protocol === 'https:';
    const requestOptions = { method, agent: options.agent ?? (false as const), headers: { accept: 'application/json', ...options.headers } };
    const onResponse = (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => reject(new HttpFailure(failureReason(error))));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text, json: parseJson(text) });
      });
    };
    const req = https ? tlsRequest(url, { ...requestOptions, ...options.tls }, onResponse) : plainRequest(url, requestOptions, onResponse);
    // One deadline for the whole exchange, not an idle timeout: a node that
    // trickles bytes must not hold the manager forever.
    const timer = setTimeout(() => req.destroy(new HttpFailure(`no answer within ${options.timeoutMs / 1000} s`)), options.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (error: NodeJS.ErrnoException) => reject(error instanceof HttpFailure ? error : new HttpFailure(failureReason(error))));
    req.end();
  });
}
