import { CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ApiError } from './api-error';

@Injectable()
export class NoQueryParamsGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const names = Object.keys(context.switchToHttp().getRequest<{ query?: Record<string, unknown> }>().query ?? {});
    if (names.length === 0) return true;
    // Same wording as the validation pipe's answer to an unknown parameter elsewhere.
    const messages = names.map((name) => `property ${name} should not exist`);
    throw new ApiError(400, 'validation', messages.join('; '), messages.map((message) => ({ message })));
  }
}

/** For endpoints that take no query parameters: any parameter is unknown, hence a 400. */
export const NoQueryParams = () => UseGuards(NoQueryParamsGuard);

/** For endpoints that take no body: an empty body or `{}` only; any field is unknown, hence a 400. */
@Injectable()
export class NoBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const body = context.switchToHttp().getRequest<{ body?: unknown }>().body;
    if (body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0)) return true;
    const names = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body) : [];
    const messages = names.length > 0 ? names.map((name) => `property ${name} should not exist`) : ['this endpoint takes no body'];
    throw new ApiError(400, 'validation', messages.join('; '), messages.map((message) => ({ message })));
  }
}
