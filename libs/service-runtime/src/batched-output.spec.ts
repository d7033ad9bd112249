import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { batchOutput, flushOutput } from './batched-output';

/** A stream that records each write it gets. */
function recordingStream() {
  const writes: string[] = [];
  const stream = { write: (chunk: string | Buffer) => (writes.push(String(chunk)), true) } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe('batchOutput', () => {
  const out = recordingStream();
  const err = recordingStream();
  batchOutput([out.stream, err.stream]);

  it('lines written in one turn reach each stream in one write, at the end of the turn', async () => {
    out.stream.write('one\n');
    out.stream.write(Buffer.from('two\n'));
    err.stream.write('oops\n');
    expect(out.writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.writes).toEqual(['one\ntwo\n']);
    expect(err.writes).toEqual(['oops\n']);
  });

  it('what waits is written before an HTTP answer goes out, so a reader never sees the answer first', async () => {
    out.writes.length = 0;
    let atAnswer: string[] = [];
    const server = createServer((_req, res) => {
      out.stream.write('serving\n');
      res.end('ok');
      atAnswer = [...out.writes];
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => request({ host: '127.0.0.1', port }, (res) => res.resume().on('end', resolve)).on('error', reject).end());
    server.close();
    expect(atAnswer).toEqual(['serving\n']);
  });

  it('a write with a callback goes at once, after what waits', () => {
    out.writes.length = 0;
    out.stream.write('first\n');
    out.stream.write('second\n', () => undefined);
    expect(out.writes).toEqual(['first\n', 'second\n']);
    flushOutput();
  });
});
