import type { EtsiError } from '@dske/core';
import type { ApiErrorBody, ErrorRenderer } from '@dske/service-runtime';
import { ETSI_ROOT_PATH } from './etsi-paths';

/** ETSI 014 errors are {message, details: [objects]}, whatever went wrong. */
export function toEtsiError(body: ApiErrorBody): EtsiError {
  const details = Array.isArray(body.details) ? (body.details as Record<string, unknown>[]) : [{ code: body.code }];
  // A validation failure leads with its first complaint; details list them all.
  const message = body.code === 'validation' ? String(details[0]?.message ?? body.message) : body.message;
  return { message, details };
}

// Everything below the node's etsi/, and the API's paths at the root.
export const ETSI_ERROR_RENDERER: ErrorRenderer = { pathPrefix: 'etsi/', rootPathPrefix: `${ETSI_ROOT_PATH}/`, render: toEtsiError };
