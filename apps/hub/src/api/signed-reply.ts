import type { ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { Allocation, SIGNATURE_HEADER, signWithKey, type SignatureVersion } from '@dske/core';

/** The request an answer is for: the version it was signed in and its allocation text (a v2 answer binds to it). */
export interface SignedRequest {
  version: SignatureVersion;
  allocation: string;
}

/**
 * Hubs sign their in-band responses: the body is serialized here so that the
 * MAC covers exactly the bytes sent (an empty query part, then the body). The
 * signing key was allocated by the service before it acted, so a reply can
 * never fail for want of PSRD after the hub changed anything.
 */
@Injectable()
export class SignedReply {
  /** `response`: node's (an Express response is one), as routed by Express or by the direct routes. */
  send(response: unknown, signingKey: Allocation, body: object, request: SignedRequest): string {
    const json = JSON.stringify(body);
    const res = response as ServerResponse;
    res.setHeader(SIGNATURE_HEADER, signWithKey(signingKey, request.version, { kind: 'response', status: 200, request: request.allocation }, json));
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    return json;
  }
}
