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
    const details = Array.isArray(body.details) ? (body.details as Record<string, unknown>[]) : [{ code: body.code }];
    // A validation failure leads with its first complaint; details list them all.
    const message = body.code === 'validation' ? String(details[0]?.message ?? body.message) : body.message;
    const etsi: EtsiError = { message, details };
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), etsi, body.statusCode);
  }
}
