import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { peerCertificate, type PeerCertificate } from '@dske/service-runtime';

/** What a request says about its SAE, before any policy is applied. */
export interface SaeCredentials {
  /** Lab mode: `Authorization: Bearer <SAE ID>`, or the bare SAE ID as the reference implementation takes it. */
  labSae?: string;
  /** Whether the request had an Authorization header at all (lab mode: none on a one-encryptor client means that one). */
  authorization: boolean;
  /** Mutual TLS: the verified client certificate, if any. */
  tls?: PeerCertificate;
}

/** `Bearer <id>` or a bare `<id>` (one token); `Bearer` alone, `Basic ...` and the like name nobody. */
export function labSaeOf(header: string): string | undefined {
  const value = header.trim();
  const bearer = /^Bearer\s+(\S+)$/i.exec(value);
  if (bearer) return bearer[1];
  return /^\S+$/.test(value) && !/^Bearer$/i.test(value) ? value : undefined;
}

/** Adapter-neutral extraction of the caller's credentials (no Express types in controllers). */
export const CallerSae = createParamDecorator((_data: unknown, ctx: ExecutionContext): SaeCredentials => {
  const request = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined>; socket?: Parameters<typeof peerCertificate>[0] }>();
  const header = request.headers['authorization'];
  const labSae = typeof header === 'string' ? labSaeOf(header) : undefined;
  const tls = peerCertificate(request.socket);
  return { labSae, authorization: header !== undefined, ...(tls === undefined ? {} : { tls }) };
});
