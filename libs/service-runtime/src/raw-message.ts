import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/** The exact bytes a signature covers: the query string as sent and the raw body. */
export interface RawMessage {
  query: string;
  body: Buffer;
  signature: string | string[] | undefined;
}

interface RequestLike {
  originalUrl?: string;
  url?: string;
  rawBody?: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export function rawMessageOf(request: RequestLike): RawMessage {
  const url = request.originalUrl ?? request.url ?? '';
  const q = url.indexOf('?');
  return {
    query: q < 0 ? '' : url.slice(q + 1),
    body: request.rawBody ?? Buffer.alloc(0),
    signature: request.headers['dske-signature'],
  };
}

/** Adapter-neutral access to the raw request (no Express types in controllers). */
export const Raw = createParamDecorator((_data: unknown, ctx: ExecutionContext): RawMessage => rawMessageOf(ctx.switchToHttp().getRequest<RequestLike>()));
