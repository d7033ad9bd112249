import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PsrdBlock } from './psrd/block';
import { Fragment, fragmentsToText } from './psrd/fragment';
import { PsrdPool } from './psrd/pool';
import {
  SIGNATURE_HEADER,
  SIGNING_KEY_BYTES,
  computeMac,
  formatSignature,
  parseSignature,
  signMessage,
  verifyMessage,
  verifyRequest,
  computeMacV2,
  signWithKey,
  signatureAllocation,
  type MacFrame,
} from './signature';
import { expectCode } from './test-helpers/expect-code';


const A = '0b2f7c1e-3d4a-4b5c-8d6e-7f8091a2b3c4';
const B = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f2a3b4c5d';

/** The same blocks in a sender's local pool and a receiver's peer pool (separate copies). */
function pair(sizes: number[] = [40, 100]): { local: PsrdPool; peer: PsrdPool; uuids: string[] } {
  const uuids = sizes.map((_, i) => `${i}${A.slice(1)}`);
  const local = new PsrdPool('local');
  const peer = new PsrdPool('peer');
  sizes.forEach((size, i) => {
    const data = Uint8Array.from({ length: size }, (_, j) => (i * 101 + j * 13 + 7) & 0xff);
    local.addBlock(new PsrdBlock(uuids[i], Uint8Array.from(data)));
    peer.addBlock(new PsrdBlock(uuids[i], Uint8Array.from(data)));
  });
  return { local, peer, uuids };
}

const flipByte = (data: Uint8Array, index: number, mask = 0x01): Uint8Array => {
  const out = Uint8Array.from(data);
  out[index] ^= mask;
  return out;
};

describe('computeMac', () => {
  it('is HMAC-SHA256 over the query bytes followed by the body bytes', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const query = 'client_name=c1&key_id=5';
    const body = '{"share_index":2}';
    const expected = createHmac('sha256', key).update(Buffer.from(query + body)).digest();
    expect(Buffer.from(computeMac(key, query, body))).toEqual(expected);
    expect(Buffer.from(computeMac(key, Buffer.from(query), Buffer.from(body)))).toEqual(expected);
    expect(computeMac(key, query, body)).toHaveLength(32);
  });

  it('matches RFC 4231 test case 2 wherever the message is cut between query and body', () => {
    const key = Buffer.from('Jefe');
    const message = 'what do ya want for nothing?';
    for (let cut = 0; cut <= message.length; cut++) {
      expect(Buffer.from(computeMac(key, message.slice(0, cut), message.slice(cut))).toString('hex')).toBe(
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      );
    }
  });

  it('treats strings as UTF-8', () => {
    const key = new Uint8Array(32).fill(7);
    expect(computeMac(key, 'name=é', '☃')).toEqual(computeMac(key, Buffer.from('name=é', 'utf8'), Buffer.from('☃', 'utf8')));
  });
});

describe('signature header codec', () => {
  const fragments: Fragment[] = [
    { block_uuid: A, start: 0, size: 20 },
    { block_uuid: B, start: 7, size: 12 },
  ];
  const mac = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

  it('formats <allocation>%<base64 mac> and parses it back', () => {
    const header = formatSignature(fragments, mac);
    expect(header).toBe(`${A}:0:20,${B}:7:12%${Buffer.from(mac).toString('base64')}`);
    const parsed = parseSignature(header);
    expect(parsed.fragments).toEqual(fragments);
    expect(Buffer.from(parsed.mac)).toEqual(Buffer.from(mac));
    expect(SIGNATURE_HEADER).toBe('DSKE-Signature');
    expect(SIGNING_KEY_BYTES).toBe(32);
  });

  it('round trips (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ block_uuid: fc.uuid(), start: fc.nat(100000), size: fc.integer({ min: 1, max: 100000 }) }), { minLength: 1, maxLength: 5 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (frags, m) => {
          const parsed = parseSignature(formatSignature(frags, m));
          expect(parsed.fragments).toEqual(frags.map((f) => ({ ...f, block_uuid: f.block_uuid.toLowerCase() })));
          expect(Buffer.from(parsed.mac)).toEqual(Buffer.from(m));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a missing header is signature.missing', () => {
    for (const header of [undefined, null, '']) expectCode(() => parseSignature(header), 'signature.missing');
  });

  it('each malformed header is signature.malformed', () => {
    const allocation = fragmentsToText(fragments);
    const macText = Buffer.from(mac).toString('base64');
    const malformed: unknown[] = [
      42,
      true,
      {},
      [`${allocation}%${macText}`],
      [`${allocation}%${macText}`, `${allocation}%${macText}`],
      allocation,
      macText,
      `${allocation}%${macText}%`,
      `${allocation}%%${macText}`,
      `%${macText}`,
      `${allocation}%`,
      `nonsense%${macText}`,
      `${A}:0%${macText}`,
      `${A}:-1:32%${macText}`,
      `${A}:0:32,%${macText}`,
      `${allocation}%${macText.slice(0, -1)}`,
      `${allocation}%${macText.replace(/=$/, '')}`,
      `${allocation}%${macText.slice(0, 10)}!${macText.slice(11)}`,
      `${allocation}%${macText.slice(0, 10)}-${macText.slice(11)}`,
      `${allocation}% ${macText}`,
      `${allocation}%${Buffer.from(mac).toString('base64url')}`,
      `${allocation}%${Buffer.alloc(31).toString('base64')}`,
      `${allocation}%${Buffer.alloc(33).toString('base64')}`,
      `${allocation}%${Buffer.alloc(64).toString('base64')}`,
    ];
    for (const header of malformed) expectCode(() => parseSignature(header), 'signature.malformed');
  });
});

describe('signMessage / verifyMessage', () => {
  const query = 'client_name=alice&key_id=0b2f7c1e';
  const body = '{"share_index":1,"x":"AQID"}';

  it('signs with 32 bytes from the local pool; the peer pool verifies and spends exactly 32', () => {
    const { local, peer, uuids } = pair();
    const header = signMessage(local, query, body);
    expect(local.unusedBytes).toBe(140 - 32);
    const { fragments, mac } = parseSignature(header);
    expect(fragments).toEqual([{ block_uuid: uuids[0], start: 0, size: 32 }]);
    const key = Uint8Array.from({ length: 32 }, (_, j) => (j * 13 + 7) & 0xff);
    expect(Buffer.from(mac)).toEqual(createHmac('sha256', key).update(query + body).digest());
    verifyMessage(peer, header, query, body);
    expect(peer.unusedBytes).toBe(140 - 32);
  });

  it('signing keys span blocks and the peer follows', () => {
    const { local, peer, uuids } = pair([40, 100]);
    verifyMessage(peer, signMessage(local, query, body), query, body);
    const header = signMessage(local, query, body);
    expect(parseSignature(header).fragments).toEqual([
      { block_uuid: uuids[0], start: 32, size: 8 },
      { block_uuid: uuids[1], start: 0, size: 24 },
    ]);
    verifyMessage(peer, header, query, body);
    expect(peer.unusedBytes).toBe(76);
    expect(peer.blockCount).toBe(1);
  });

  it('accepts byte and string inputs alike, and an empty query or body', () => {
    const { local, peer } = pair();
    verifyMessage(peer, signMessage(local, Buffer.from(query), body), query, Buffer.from(body));
    verifyMessage(peer, signMessage(local, '', ''), '', new Uint8Array(0));
  });

  it('fails without PSRD for an exhausted local pool', () => {
    const { local } = pair([31]);
    expectCode(() => signMessage(local, query, body), 'psrd.exhausted');
    expect(local.unusedBytes).toBe(31);
  });

  it('any changed byte of query or body is signature.invalid and spends no PSRD', () => {
    const { local, peer } = pair([64]);
    const header = signMessage(local, query, body);
    const q = Buffer.from(query);
    const b = Buffer.from(body);
    for (let i = 0; i < q.length; i++) {
      for (const mask of [0x01, 0x80]) expectCode(() => verifyMessage(peer, header, flipByte(q, i, mask), b), 'signature.invalid');
    }
    for (let i = 0; i < b.length; i++) {
      for (const mask of [0x01, 0x80]) expectCode(() => verifyMessage(peer, header, q, flipByte(b, i, mask)), 'signature.invalid');
    }
    // Adding or dropping a byte also fails.
    expectCode(() => verifyMessage(peer, header, query, `${body} `), 'signature.invalid');
    expectCode(() => verifyMessage(peer, header, `?${query}`, body), 'signature.invalid');
    expectCode(() => verifyMessage(peer, header, query, body.slice(1)), 'signature.invalid');
    expect(peer.unusedBytes).toBe(64);
    // The genuine message still verifies afterwards, and spends 32.
    verifyMessage(peer, header, query, body);
    expect(peer.unusedBytes).toBe(32);
  });

  it('any changed byte of the MAC is signature.invalid and spends no PSRD', () => {
    const { local, peer } = pair([64]);
    const header = signMessage(local, query, body);
    const { fragments, mac } = parseSignature(header);
    for (let i = 0; i < 32; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        expectCode(() => verifyMessage(peer, formatSignature(fragments, flipByte(mac, i, mask)), query, body), 'signature.invalid');
      }
    }
    expect(peer.unusedBytes).toBe(64);
    verifyMessage(peer, header, query, body);
  });

  it('longer messages: any flipped byte fails (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 1, maxLength: 3000 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.constantFrom('query', 'body', 'mac'),
        (q, b, position, mask, where) => {
          const { local, peer } = pair([32]);
          const header = signMessage(local, q, b);
          if (where === 'query' && q.length > 0) {
            expectCode(() => verifyMessage(peer, header, flipByte(q, position % q.length, mask), b), 'signature.invalid');
          } else if (where === 'mac') {
            const { fragments, mac } = parseSignature(header);
            expectCode(() => verifyMessage(peer, formatSignature(fragments, flipByte(mac, position % 32, mask)), q, b), 'signature.invalid');
          } else {
            expectCode(() => verifyMessage(peer, header, q, flipByte(b, position % b.length, mask)), 'signature.invalid');
          }
          expect(peer.unusedBytes).toBe(32);
          verifyMessage(peer, header, q, b);
          expect(peer.unusedBytes).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a changed allocation fails: other unused bytes are signature.invalid and spend nothing', () => {
    const { local, peer, uuids } = pair([40, 100]);
    const header = signMessage(local, query, body);
    const macText = header.split('%')[1];
    for (const other of [`${uuids[0]}:1:32`, `${uuids[0]}:8:32`, `${uuids[1]}:0:32`, `${uuids[0]}:16:16,${uuids[0]}:0:16`]) {
      expectCode(() => verifyMessage(peer, `${other}%${macText}`, query, body), 'signature.invalid');
    }
    expect(peer.unusedBytes).toBe(140);
    verifyMessage(peer, header, query, body);
    expect(peer.unusedBytes).toBe(108);
  });

  it('an allocation the peer pool refuses is signature.malformed (psrd.unknown-block for a block it lacks) and spends nothing', () => {
    const { local, peer, uuids } = pair([40, 100]);
    const header = signMessage(local, query, body);
    const macText = header.split('%')[1];
    // A block the receiver does not hold means the two pools are out of step, not a malformed header.
    expectCode(() => verifyMessage(peer, `${B}:0:32%${macText}`, query, body), 'psrd.unknown-block');
    for (const bad of [
      `${uuids[0]}:0:31`, // too short
      `${uuids[0]}:0:33`, // too long
      `${uuids[0]}:20:32`, // beyond the block
      `${uuids[0]}:0:0,${uuids[0]}:0:32`, // zero-size fragment
      `${uuids[0]}:0:16,${uuids[0]}:8:16`, // overlap
    ]) {
      expectCode(() => verifyMessage(peer, `${bad}%${macText}`, query, body), 'signature.malformed');
    }
    expect(peer.unusedBytes).toBe(140);
    verifyMessage(peer, header, query, body);
  });

  it('malformed or missing headers fail before any PSRD is touched', () => {
    const { peer } = pair();
    expectCode(() => verifyMessage(peer, undefined, query, body), 'signature.missing');
    expectCode(() => verifyMessage(peer, ['a', 'b'], query, body), 'signature.malformed');
    expectCode(() => verifyMessage(peer, 'no-percent', query, body), 'signature.malformed');
    expect(peer.unusedBytes).toBe(140);
  });

  it('names the same key in other fragments: the same bytes in order verify', () => {
    const { local, peer, uuids } = pair([40, 100]);
    const macText = signMessage(local, query, body).split('%')[1];
    verifyMessage(peer, `${uuids[0]}:0:16,${uuids[0]}:16:16%${macText}`, query, body);
    expect(peer.unusedBytes).toBe(108);
  });

  it('binds query||body as one byte string: the split point is not covered (as PROTOCOL.md specifies)', () => {
    const { local, peer } = pair();
    const header = signMessage(local, query, body);
    verifyMessage(peer, header, query.slice(0, -1), query.slice(-1) + body);
    expect(peer.unusedBytes).toBe(108);
  });

  it('a replayed message fails', () => {
    const { local, peer } = pair();
    const header = signMessage(local, query, body);
    verifyMessage(peer, header, query, body);
    const spent = peer.unusedBytes;
    expectCode(() => verifyMessage(peer, header, query, body), 'signature.malformed');
    expect(peer.unusedBytes).toBe(spent);
    // Even after the block is used up and dropped.
    const { local: l2, peer: p2 } = pair([32]);
    const h2 = signMessage(l2, query, body);
    verifyMessage(p2, h2, query, body);
    expect(p2.blockCount).toBe(0);
    expectCode(() => verifyMessage(p2, h2, query, body), 'signature.malformed');
  });

  it('a header signed with a different pool does not verify', () => {
    const { peer } = pair();
    const stranger = new PsrdPool('local');
    stranger.addBlock(new PsrdBlock(`0${A.slice(1)}`, new Uint8Array(64).fill(1)));
    expectCode(() => verifyMessage(peer, signMessage(stranger, query, body), query, body), 'signature.invalid');
    expect(peer.unusedBytes).toBe(140);
  });
});

describe('verifyRequest (a receiver facing callers it does not know yet)', () => {
  it('answers signature.invalid, with one message, for every key that does not verify, and spends nothing', () => {
    const { local, peer, uuids } = pair([40, 100]);
    const good = signMessage(local, 'q', 'b');
    const mac = good.split('%')[1];
    const headers = [
      `${uuids[0]}:0:32%${Buffer.alloc(32).toString('base64')}`, // wrong MAC
      `${B}:0:32%${mac}`, // a block the receiver does not hold
      `${uuids[0]}:20:32%${mac}`, // beyond the block
      `${uuids[0]}:0:16,${uuids[0]}:8:16%${mac}`, // overlapping
      `${uuids[0]}:0:16%${mac}`, // 16 bytes, not 32
    ];
    const messages = headers.map((header) => {
      try {
        verifyRequest(peer, header, 'q', 'b');
        return 'verified';
      } catch (error) {
        return `${(error as { code: string }).code}: ${(error as Error).message}`;
      }
    });
    expect(messages).toEqual(headers.map(() => `signature.invalid: ${SIGNATURE_HEADER} does not verify`));
    expect(peer.unusedBytes).toBe(140);
    verifyRequest(peer, good, 'q', 'b');
    expect(peer.unusedBytes).toBe(108);
    // A replay names used bytes: the same answer again.
    expectCode(() => verifyRequest(peer, good, 'q', 'b'), 'signature.invalid');
  });

  it('still names a malformed or missing header as such (it says nothing about the pool)', () => {
    const { peer } = pair();
    expectCode(() => verifyRequest(peer, undefined, '', ''), 'signature.missing');
    expectCode(() => verifyRequest(peer, 'garbage', '', ''), 'signature.malformed');
  });
});

describe('DSKE-Signature v2: the whole message framed, answers bound to their request', () => {
  const frame: MacFrame = { kind: 'request', method: 'POST', path: '/hub/hank/dske/api/v1/key-share' };

  it('is HMAC-SHA256 over the documented frame (known answer)', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
    const request = Buffer.concat([Buffer.from('DSKE-MAC v2 request\nPOST\n/hub/hank/dske/api/v1/key-share\n'), u32(3), Buffer.from('a=1'), u32(2), Buffer.from('{}')]);
    expect(Buffer.from(computeMacV2(key, frame, 'a=1', '{}'))).toEqual(createHmac('sha256', key).update(request).digest());
    const answer = Buffer.concat([Buffer.from('DSKE-MAC v2 response\n'), u32(200), u32(5), Buffer.from('x:0:1'), u32(2), Buffer.from('{}')]);
    expect(Buffer.from(computeMacV2(key, { kind: 'response', status: 200, request: 'x:0:1' }, '', '{}'))).toEqual(createHmac('sha256', key).update(answer).digest());
  });

  it('covers what v1 does not: a byte moved between query and body, the method, the path', () => {
    const key = new Uint8Array(32).fill(7);
    // v1 cannot tell these apart; v2 can.
    expect(computeMac(key, 'a=1', '2')).toEqual(computeMac(key, 'a=', '12'));
    expect(computeMacV2(key, frame, 'a=1', '2')).not.toEqual(computeMacV2(key, frame, 'a=', '12'));
    expect(computeMacV2(key, { ...frame, method: 'GET' }, '', '')).not.toEqual(computeMacV2(key, frame, '', ''));
    expect(computeMacV2(key, { ...frame, path: '/hub/helen/dske/api/v1/key-share' }, '', '')).not.toEqual(computeMacV2(key, frame, '', ''));
  });

  it('signs and verifies a request in v2 (header v2;...), and refuses it under another method, path or a v1 reading', () => {
    const { local, peer } = pair([200]);
    const header = signMessage(local, 'q=1', 'body', frame);
    expect(header).toMatch(/^v2;[0-9a-f-]+:0:32%/);
    expectCode(() => verifyMessage(peer, header, 'q=1', 'body', { ...frame, path: '/hub/helen/dske/api/v1/key-share' }), 'signature.invalid');
    expectCode(() => verifyMessage(peer, header, 'q=1', 'body', { ...frame, method: 'GET' }), 'signature.invalid');
    expectCode(() => verifyMessage(peer, header, 'q=1', 'body'), 'signature.malformed');
    expect(verifyMessage(peer, header, 'q=1', 'body', frame).version).toBe(2);
  });

  it('an answer binds to its request and its status: swapped between two requests, or with another status, it fails', () => {
    const { local, peer } = pair([200]);
    const [first, second] = [signMessage(local, '', 'a', frame), signMessage(local, '', 'b', frame)];
    const key = local.allocate(32);
    const answer = signWithKey(key, 2, { kind: 'response', status: 200, request: signatureAllocation(first) }, '{"ok":1}');
    const check = (request: string, status: number) => () => verifyMessage(peer, answer, '', '{"ok":1}', { kind: 'response', status, request: signatureAllocation(request) });
    // peek before consume: the failed checks spend nothing, the right one then verifies.
    peer.take(fragmentsFromHeader(first), 32);
    peer.take(fragmentsFromHeader(second), 32);
    expectCode(check(second, 200), 'signature.invalid');
    expectCode(check(first, 400), 'signature.invalid');
    expect(check(first, 200)().version).toBe(2);
  });

  it('v1 stays as it was for peers that ask for it', () => {
    const { local, peer } = pair([100]);
    const header = signMessage(local, 'q', 'b');
    expect(header.startsWith('v2;')).toBe(false);
    expect(verifyMessage(peer, header, 'q', 'b').version).toBe(1);
  });
});

function fragmentsFromHeader(header: string): Fragment[] {
  return parseSignature(header).fragments;
}
