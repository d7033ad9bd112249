import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { EtsiError } from '@dske/core';
import { toErrorBody } from '@dske/service-runtime';

/** ETSI 014 errors are {message, details: [objects]}, whatever went wrong. */
@Catch()
export class EtsiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Etsi');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const body = toErrorBody(exception);
    if (body.statusCode >= 500 && body.code === 'internal') this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    const messages = body.message.split('; ');
    const details: Record<string, unknown>[] = Array.isArray(body.details)
      ? (body.details as Record<string, unknown>[])
      : messages.length > 1
        ? messages.map((m) => ({ message: m }))
        : [{ code: body.code }];
    const etsi: EtsiError = { message: messages[0], details };
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), etsi, body.statusCode);
  }
}
