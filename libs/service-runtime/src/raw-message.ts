import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/** The exact bytes a signature covers: the method, the path and the query string as sent, and the raw body. */
export interface RawMessage {
  method: string;
  path: string;
  query: string;
  body: Buffer;
  signature: string | string[] | undefined;
}

interface RequestLike {
  method?: string;
  originalUrl?: string;
  url?: string;
  rawBody?: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

export function rawMessageOf(request: RequestLike): RawMessage {
  const url = request.originalUrl ?? request.url ?? '';
  const q = url.indexOf('?');
  return {
    method: request.method ?? '',
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? '' : url.slice(q + 1),
    body: request.rawBody ?? Buffer.alloc(0),
    signature: request.headers['dske-signature'],
  };
}

/** Adapter-neutral access to the raw request (no Express types in controllers). */
export const Raw = createParamDecorator((_data: unknown, ctx: ExecutionContext): RawMessage => rawMessageOf(ctx.switchToHttp().getRequest<RequestLike>()));
