import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PsrdPool, SIGNATURE_HEADER, signMessage } from '@dske/core';

/**
 * Hubs sign their in-band responses: the body is serialized here so that the
 * MAC covers exactly the bytes sent (an empty query part, then the body).
 */
@Injectable()
export class SignedReply {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  send(response: unknown, localPool: PsrdPool, body: object): string {
    const json = JSON.stringify(body);
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, SIGNATURE_HEADER, signMessage(localPool, '', json));
    adapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
    return json;
  }
}
