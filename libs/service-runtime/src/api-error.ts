import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';

/** JSON error body for every non-ETSI endpoint: the HTTP status plus a stable code. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  details?: unknown;
}

export class ApiError extends HttpException {
  constructor(status: number, code: string, message: string, details?: unknown) {
    const body: ApiErrorBody = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', code, message };
    if (details !== undefined) body.details = details;
    super(body, status);
  }
}

/**
 * An error answer to a request whose signature verified, signed like a 200
 * answer so that the peer can tell it from one an outsider made up. `sign`
 * gets the exact body bytes sent and returns the DSKE-Signature header.
 */
export class SignedApiError extends ApiError {
  constructor(
    inner: ApiError,
    readonly sign: (body: string) => string,
  ) {
    const body = inner.getResponse() as ApiErrorBody;
    super(body.statusCode, body.code, body.message, body.details);
  }
}
