import { describe, expect, it } from 'vitest';
import { ApiError } from '@dske/service-runtime';
import type { ClientConfig } from '../client-config';
import { labSaeOf, type SaeCredentials } from './caller-sae';
import { EtsiKeysService } from './etsi-keys.service';

const service = (encryptors: string[], tls = false) =>
  new EtsiKeysService(undefined as never, undefined as never, undefined as never, { name: 'carol', encryptors, ...(tls ? { tls: { saeIdFrom: 'cn' } } : {}) } as unknown as ClientConfig);

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return (error as ApiError).getResponse() as { statusCode: number; message: string };
  }
  throw new Error('not refused');
};

describe('lab-mode SAE identity, as the reference takes it', () => {
  it('reads Bearer <id> and a bare <id>; Bearer alone, Basic and two words name nobody', () => {
    expect(labSaeOf('Bearer sam')).toBe('sam');
    expect(labSaeOf('bearer   sam ')).toBe('sam');
    expect(labSaeOf('sam')).toBe('sam');
    expect(labSaeOf(' sam ')).toBe('sam');
    for (const header of ['Bearer', 'bearer ', '', 'Basic c2FtOnNhbQ==', 'sam sunny', 'Bearer sam sunny']) expect(labSaeOf(header), header).toBeUndefined();
  });

  it('a client with one encryptor takes a request without the header as its; with two, or with a header that names nobody, 401', () => {
    const none: SaeCredentials = { authorization: false };
    expect(service(['sam']).authorize(none)).toBe('sam');
    expect(service(['sam']).authorize({ labSae: 'sam', authorization: true })).toBe('sam');
    expect(refusal(() => service(['sunny', 'susan']).authorize(none))).toMatchObject({ statusCode: 401, message: 'no SAE identity: send Authorization: Bearer <SAE ID>' });
    expect(refusal(() => service(['sam']).authorize({ authorization: true }))).toMatchObject({ statusCode: 401, message: 'no SAE identity: send Authorization: Bearer <SAE ID>' });
    expect(refusal(() => service(['sam']).authorize({ labSae: 'sunny', authorization: true }))).toMatchObject({ statusCode: 401, message: 'SAE sunny is not attached to KME carol' });
  });

  it('mutual-TLS mode ignores the header and the one-encryptor rule: the certificate decides', () => {
    expect(refusal(() => service(['sam'], true).authorize({ labSae: 'sam', authorization: true }))).toMatchObject({ statusCode: 401, message: 'a client certificate is required' });
    expect(refusal(() => service(['sam'], true).authorize({ authorization: false }))).toMatchObject({ statusCode: 401, message: 'a client certificate is required' });
  });
});
