import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { NodeLifecycle } from './node-lifecycle';
import type { ApiErrorBody } from './api-error';

/** Undefined when ready, else why not (one line). */
export interface Readiness {
  notReadyReason(): string | undefined;
}

/** Why the node is not ready (stopping, or its own reason), or undefined: one rule for both listeners. */
export function notReadyReason(lifecycle: NodeLifecycle, readiness: Readiness): string | undefined {
  return lifecycle.isStopping ? 'node is stopping' : readiness.notReadyReason();
}

function notReadyBody(reason: string): ApiErrorBody {
  return { statusCode: 503, error: STATUS_CODES[503] ?? 'Service Unavailable', code: 'not-ready', message: reason };
}

/**
 * /healthz and /readyz over plain HTTP on 127.0.0.1 only, beside the node's
 * own listener (which may be HTTPS with client certificates): a container
 * healthcheck asks it with bash's /dev/tcp instead of starting a process.
 */
export function startHealthListener(port: number, lifecycle: NodeLifecycle, readiness: Readiness): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    let status = 404;
    let body: object = { statusCode: 404, error: STATUS_CODES[404], code: 'not-found', message: 'only /healthz and /readyz here' };
    if (req.method === 'GET' && path === '/healthz') [status, body] = [200, { status: 'ok' }];
    else if (req.method === 'GET' && path === '/readyz') {
      const reason = notReadyReason(lifecycle, readiness);
      [status, body] = reason === undefined ? [200, { status: 'ok' }] : [503, notReadyBody(reason)];
    }
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' }).end(JSON.stringify(body));
  });
  // The probe listener never holds the process up when the node stops.
  server.unref();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
