import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ProxyHooks {
  /** Answer a request here instead of passing it on; true when it did. */
  onRequest?(req: IncomingMessage, res: ServerResponse): boolean;
  /** Deal with the upstream's answer here (drop it, change it); true when it did. */
  onAnswer?(req: IncomingMessage, answer: IncomingMessage, res: ServerResponse): boolean;
}

/**
 * A plain HTTP proxy on 127.0.0.1:port in front of one node on
 * 127.0.0.1:upstream, for tests that play the network between nodes
 * (forged or lost answers). An upstream that does not answer gives 502.
 */
export async function startProxy(port: number, upstream: number, hooks: ProxyHooks = {}): Promise<Server> {
  const proxy = createServer((req, res) => {
    if (hooks.onRequest?.(req, res)) {
      req.resume();
      return;
    }
    const forward = request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      if (hooks.onAnswer?.(req, answer, res)) return;
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    // The node may not listen yet (a client starts alongside it) or be gone already (teardown).
    forward.on('error', () => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'proxy: upstream unreachable' }));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  return proxy;
}
