import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { peerCertificate, type PeerCertificate } from '@dske/service-runtime';

/** What a request says about its SAE, before any policy is applied. */
export interface SaeCredentials {
  /** Lab mode: `Authorization: Bearer <SAE ID>`. */
  bearer?: string;
  /** Mutual TLS: the verified client certificate, if any. */
  tls?: PeerCertificate;
}

/** Adapter-neutral extraction of the caller's credentials (no Express types in controllers). */
export const CallerSae = createParamDecorator((_data: unknown, ctx: ExecutionContext): SaeCredentials => {
  const request = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined>; socket?: Parameters<typeof peerCertificate>[0] }>();
  const header = request.headers['authorization'];
  const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  const tls = peerCertificate(request.socket);
  return tls === undefined ? { bearer } : { bearer, tls };
});
