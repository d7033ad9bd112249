import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ApiError, peerCertificate } from '@dske/service-runtime';
import { NODE_CERT_OU } from '@dske/topology/nodes';
import { HUB_CONFIG, HubConfig } from '../hub-config';

/**
 * The oob family stands in for a courier: in a deployment (the hub serves
 * HTTPS) it answers only the client that its request names, as proven by that
 * client's certificate from the network's CA, so nobody else can register as
 * carol or fetch PSRD in her name. Lab mode (plain HTTP) stays open.
 */
@Injectable()
export class OobClientGuard implements CanActivate {
  constructor(@Inject(HUB_CONFIG) private readonly config: HubConfig) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.config.tls === undefined) return true;
    const request = context.switchToHttp().getRequest<{ socket?: Parameters<typeof peerCertificate>[0]; body?: { client_name?: unknown }; query?: { client_name?: unknown } }>();
    const cert = peerCertificate(request.socket);
    if (!cert?.authorized) {
      throw new ApiError(401, 'oob.certificate-required', `the oob API answers only a client certificate of this network's CA (${cert?.error ?? 'plain HTTP'})`);
    }
    // An encryptor's certificate from the same CA names an SAE, never a client.
    if (cert.organizationalUnit !== NODE_CERT_OU) {
      throw new ApiError(403, 'oob.wrong-client', `the certificate of ${cert.commonName ?? '(no CN)'} is not a DSKE node's (OU ${cert.organizationalUnit ?? 'missing'}, expected ${NODE_CERT_OU})`);
    }
    // Every client name the request carries, in the body and in the query: a handler reads one of them, so none
    // may differ (a GET with a JSON body naming the caller must not pass for another client in the query).
    for (const named of [request.body?.client_name, request.query?.client_name]) {
      if (named !== undefined && named !== cert.commonName) {
        throw new ApiError(403, 'oob.wrong-client', `the certificate is client ${cert.commonName ?? '(no CN)'}'s, not ${String(named)}'s`);
      }
    }
    return true;
  }
}
