import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/**
 * The calling SAE's identity. Lab mode (plain HTTP): `Authorization: Bearer <SAE ID>`,
 * which anyone can claim — not for production.
 */
export const CallerSae = createParamDecorator((_data: unknown, ctx: ExecutionContext): string | undefined => {
  const request = ctx.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
  const header = request.headers['authorization'];
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
});
