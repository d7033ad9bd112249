import { ServerResponse, STATUS_CODES } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DskeError, DskeErrorCode } from '@dske/core';
import { ApiErrorBody, SignedApiError } from './api-error';
import { SIGNATURE_HEADER } from '@dske/core';

/** The one place where library error codes become HTTP statuses. */
export function statusForDskeError(code: DskeErrorCode): number {
  switch (code) {
    case 'signature.invalid':
      return 403;
    case 'psrd.exhausted':
      return 503;
    case 'shamir.digest-mismatch':
    case 'shamir.not-enough-shares':
      return 503;
    default:
      return 400;
  }
}

export function toErrorBody(exception: unknown): ApiErrorBody {
  if (exception instanceof DskeError) {
    const status = statusForDskeError(exception.code);
    return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', code: exception.code, message: exception.message };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null) {
      const r = response as Record<string, unknown>;
      const message = Array.isArray(r.message) ? r.message.join('; ') : String(r.message ?? exception.message);
      return {
        statusCode: status,
        error: String(r.error ?? exception.name),
        code: String(r.code ?? (status === 404 ? 'not-found' : status === 413 ? 'payload-too-large' : 'bad-request')),
        message,
        ...(r.details !== undefined ? { details: r.details } : {}),
      };
    }
    return { statusCode: status, error: exception.name, code: 'error', message: String(response) };
  }
  // Body-parser errors (malformed JSON, too large) carry a status but are not HttpExceptions.
  const e = exception as { status?: number; statusCode?: number; type?: string; message?: string };
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { statusCode: status, error: STATUS_CODES[status] ?? 'Bad Request', code: e.type ?? 'bad-request', message: e.message ?? 'bad request' };
  }
  return { statusCode: 500, error: 'Internal Server Error', code: 'internal', message: 'internal error' };
}

/** The error body each refused request got, for the node's metrics (see errorBodyOf). */
const SENT_ERRORS = new WeakMap<object, ApiErrorBody>();

/** The JSON error body the filter sent on this response, if it sent one. */
export function errorBodyOf(response: object): ApiErrorBody | undefined {
  return SENT_ERRORS.get(response);
}

/** An interface family with its own error shape (ETSI 014), chosen by path prefix. */
export interface ErrorRenderer {
  /** Below the node's prefix, e.g. 'etsi/'. */
  pathPrefix: string;
  /** The same family served at the root too, e.g. 'api/v1/keys/'. */
  rootPathPrefix?: string;
  render(body: ApiErrorBody): object;
}

/**
 * The one exception filter of a node. It also sees errors raised before
 * routing (malformed JSON, oversized bodies), so path-specific error shapes
 * are chosen here rather than in controller-scoped filters.
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly renderers: readonly ErrorRenderer[] = [],
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    this.answer(exception, String(this.adapterHost.httpAdapter.getRequestUrl(ctx.getRequest()) ?? ''), ctx.getResponse<ServerResponse>());
  }

  /** Send the refusal of a request for `url` (also for the direct routes, which Nest's filters do not see). */
  answer(exception: unknown, url: string, response: ServerResponse): void {
    const body = toErrorBody(exception);
    if (body.statusCode >= 500 && body.code === 'internal') {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    const renderer = this.renderers.find((r) => url.startsWith(r.pathPrefix));
    SENT_ERRORS.set(response, body);
    const json = JSON.stringify(renderer ? renderer.render(body) : body);
    // The MAC covers exactly the bytes sent.
    if (exception instanceof SignedApiError && !renderer) response.setHeader(SIGNATURE_HEADER, exception.sign(json));
    response.statusCode = body.statusCode;
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.setHeader('Content-Length', Buffer.byteLength(json));
    response.end(json);
  }
}
