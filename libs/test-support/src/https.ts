import { Agent, request } from 'node:https';
import type { JsonResponse } from './http';

/** What a TLS client presents and trusts: PEM text or buffers, as `node:https` takes them. */
export interface TlsIdentity {
  /** Client certificate (omit to send none). */
  cert?: string | Buffer;
  /** Private key of `cert`. */
  key?: string | Buffer;
  /** CA(s) the server certificate must chain to; omit with `insecure` to skip server checks. */
  ca?: string | Buffer;
  /** Do not verify the server certificate (readiness probes only). */
  insecure?: boolean;
}

export interface HttpsJsonOptions {
  headers?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
  tls?: TlsIdentity;
  /** A keep-alive agent to reuse connections (its TLS options must match `tls`). */
  agent?: Agent;
  timeoutMs?: number;
}

/** A keep-alive HTTPS agent for one TLS identity (one encryptor). */
export function httpsAgent(tls: TlsIdentity = {}, maxSockets = 16): Agent {
  return new Agent({ keepAlive: true, maxSockets, cert: tls.cert, key: tls.key, ca: tls.ca, rejectUnauthorized: !tls.insecure });
}

/**
 * One HTTPS call with `node:https` and optional mutual TLS: independent of the
 * apps' own HTTP code. Same result shape as `httpJson` (Node's fetch).
 */
export function httpsJson<T = unknown>(method: string, url: string, options: HttpsJsonOptions = {}): Promise<JsonResponse<T>> {
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const tls = options.tls ?? {};
  const headers: Record<string, string> = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers,
        ...(options.agent ? { agent: options.agent } : { cert: tls.cert, key: tls.key, ca: tls.ca, rejectUnauthorized: !tls.insecure, agent: false }),
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = undefined;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
          }
          resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: parsed as T, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}
