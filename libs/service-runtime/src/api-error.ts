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
