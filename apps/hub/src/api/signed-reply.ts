import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Allocation, SIGNATURE_HEADER, computeMac, formatSignature } from '@dske/core';

/**
 * Hubs sign their in-band responses: the body is serialized here so that the
 * MAC covers exactly the bytes sent (an empty query part, then the body). The
 * signing key was allocated by the service before it acted, so a reply can
 * never fail for want of PSRD after the hub changed anything.
 */
@Injectable()
export class SignedReply {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  send(response: unknown, signingKey: Allocation, body: object): string {
    const json = JSON.stringify(body);
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, SIGNATURE_HEADER, formatSignature(signingKey.fragments, computeMac(signingKey.bytes, '', json)));
    adapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    return json;
  }
}
