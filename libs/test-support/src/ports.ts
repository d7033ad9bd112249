import { createServer } from 'node:net';

/** True when 127.0.0.1:port can be bound right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

let cursor = 20000 + Math.floor(Math.random() * 20000);

/** A run of `count` consecutive free ports on 127.0.0.1 (for a port plan). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = cursor;
    cursor += count + 1;
    if (cursor > 60000) cursor = 20000;
    const checks = await Promise.all(Array.from({ length: count }, (_, i) => isPortFree(base + i)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}
