import { ServerResponse } from 'node:http';

type Write = (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;

interface Batched {
  stream: NodeJS.WriteStream;
  write: Write;
  pending: string[];
}

const batched: Batched[] = [];
let scheduled = false;

/** Write what waits, each stream in one write. */
export function flushOutput(): void {
  scheduled = false;
  for (const b of batched) {
    if (b.pending.length === 0) continue;
    const text = b.pending.join('');
    b.pending = [];
    b.write.call(b.stream, text);
  }
}

/**
 * Log lines go to stdout and stderr in one write per event-loop turn instead
 * of one write each: on a pipe or a file Node writes synchronously, one
 * system call (and a wake-up of the reader) per line, a tenth of a client's
 * CPU at full rate. The order a reader sees is kept where it matters: what
 * waits is written before any HTTP answer's headers go out (so a line logged
 * while serving a request is out before its answer is), and at exit.
 */
export function batchOutput(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  if (batched.length > 0) return;
  for (const stream of streams) {
    const entry: Batched = { stream, write: stream.write as Write, pending: [] };
    batched.push(entry);
    stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
      // Anything but a plain string or buffer, or a caller waiting for the write: as it was, after what waits.
      if ((typeof chunk !== 'string' && !Buffer.isBuffer(chunk)) || typeof encoding === 'function' || typeof callback === 'function') {
        flushOutput();
        return entry.write.call(stream, chunk, encoding, callback);
      }
      entry.pending.push(typeof chunk === 'string' ? chunk : chunk.toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
      if (!scheduled) {
        scheduled = true;
        // Not unref'd: an unref'd immediate lets an idle loop sleep until its next timer, holding the line back.
        setImmediate(flushOutput);
      }
      return true;
    }) as typeof stream.write;
  }
  const writeHead = ServerResponse.prototype.writeHead as (...args: unknown[]) => ServerResponse;
  ServerResponse.prototype.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    flushOutput();
    return writeHead.apply(this, args);
  } as typeof ServerResponse.prototype.writeHead;
  process.on('exit', flushOutput);
}
