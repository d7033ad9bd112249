import { HttpException } from '@nestjs/common';

/** JSON error body for every non-ETSI endpoint: the HTTP status plus a stable code. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  details?: unknown;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export class ApiError extends HttpException {
  constructor(status: number, code: string, message: string, details?: unknown) {
    const body: ApiErrorBody = { statusCode: status, error: REASONS[status] ?? 'Error', code, message };
    if (details !== undefined) body.details = details;
    super(body, status);
  }
}
