import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/** What a request says about its SAE, before any policy is applied. */
export interface SaeCredentials {
  /** Lab mode: `Authorization: Bearer <SAE ID>`. */
  bearer?: string;
  /** Mutual TLS: the verified client certificate, if any. */
  tls?: { authorized: boolean; error?: string; commonName?: string; dnsNames: string[] };
}

interface TlsSocketLike {
  encrypted?: boolean;
  authorized?: boolean;
  authorizationError?: Error | string;
  getPeerCertificate?: () => { subject?: { CN?: string | string[] }; subjectaltname?: string } | null;
}

/** Adapter-neutral extraction of the caller's credentials (no Express types in controllers). */
export const CallerSae = createParamDecorator((_data: unknown, ctx: ExecutionContext): SaeCredentials => {
  const request = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined>; socket?: TlsSocketLike }>();
  const header = request.headers['authorization'];
  const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  const socket = request.socket;
  if (!socket?.encrypted) return { bearer };
  const peer = socket.getPeerCertificate?.() ?? null;
  const presented = Boolean(peer && Object.keys(peer).length > 0);
  const cn = peer?.subject?.CN;
  const dnsNames = (peer?.subjectaltname ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4));
  return {
    bearer,
    tls: {
      authorized: socket.authorized === true,
      error: !presented ? 'no client certificate sent' : socket.authorizationError ? String(socket.authorizationError) : undefined,
      commonName: Array.isArray(cn) ? cn[0] : cn,
      dnsNames,
    },
  };
});
