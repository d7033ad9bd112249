import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './api-error';

/** The mgmt bearer token of this node, or undefined in lab mode (mgmt open, as in the user guide). */
export const MGMT_TOKEN = Symbol('MGMT_TOKEN');

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Guards the mgmt API when a token is configured: `Authorization: Bearer <token>`, compared in constant time. */
@Injectable()
export class MgmtTokenGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(@Inject(MGMT_TOKEN) token: string | undefined) {
    this.expected = token === undefined ? undefined : digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const header = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers['authorization'];
    const presented = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    // Hashing first gives equal lengths, so the comparison time does not depend on the token.
    if (presented === undefined || !timingSafeEqual(digest(presented), this.expected)) {
      throw new ApiError(401, 'mgmt.unauthorized', 'the mgmt API needs Authorization: Bearer <mgmt token>');
    }
    return true;
  }
}
