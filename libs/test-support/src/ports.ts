import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** True when 127.0.0.1:port can be bound right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The lowest port the kernel hands out as the local end of outgoing connections. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 12000 ? low : 32768;
  } catch {
    return 32768;
  }
}

/*
 * Listening ports are taken below the ephemeral range: a port inside it can be
 * free when checked and then become the source port of some outgoing
 * connection (a client's keep-alive to a hub, Redis) before the node binds it.
 * Each process starts at its own random point so parallel test workers rarely
 * probe the same ports.
 */
export const TEST_PORT_FLOOR = 10000;
const ceiling = ephemeralLow() - 1;
const handedOut = new Set<number>();
let cursor = TEST_PORT_FLOOR + Math.floor(Math.random() * (ceiling - TEST_PORT_FLOOR));

/** A run of `count` consecutive free ports on 127.0.0.1 (for a port plan); never the same port twice per process. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (cursor + count > ceiling) cursor = TEST_PORT_FLOOR;
    const base = cursor;
    cursor += count + 1;
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (ports.some((port) => handedOut.has(port))) continue;
    const checks = await Promise.all(ports.map((port) => isPortFree(port)));
    if (checks.every(Boolean)) {
      ports.forEach((port) => handedOut.add(port));
      return base;
    }
  }
  throw new Error(`no ${count} consecutive free ports found between ${TEST_PORT_FLOOR} and ${ceiling}`);
}
