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

/** The ports the kernel hands out as the local end of outgoing connections. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low <= high) return [low, high];
  } catch {
    // Not Linux: assume the common default.
  }
  return [32768, 60999];
}

/*
 * Listening ports are taken outside the ephemeral range: a port inside it can
 * be free when checked and then become the source port of some outgoing
 * connection (a client's keep-alive to a hub, Redis) before the node binds it.
 * Below the range when there is room, else above it. Each process starts at
 * its own random point so parallel test workers rarely probe the same ports.
 */
const MIN_SPAN = 2000;
function testPortRange(): [number, number] {
  const [low, high] = ephemeralRange();
  if (low - 1 - 10000 >= MIN_SPAN) return [10000, low - 1];
  if (65000 - (high + 1) >= MIN_SPAN) return [high + 1, 65000];
  return [10000, 60000];
}
const [floor, ceiling] = testPortRange();
const handedOut = new Set<number>();
let cursor = floor + Math.floor(Math.random() * (ceiling - floor));

/** A run of `count` consecutive free ports on 127.0.0.1 (for a port plan); never the same port twice per process. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (cursor + count > ceiling) cursor = floor;
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
  throw new Error(`no ${count} consecutive free ports found between ${floor} and ${ceiling}`);
}
