import type { HubResponse } from './hub-http';

/** Why one hub could not take or give a share; collected into 503 details. */
export class HubCallError extends Error {
  constructor(
    readonly hubName: string,
    readonly kind: 'unregistered' | 'unreachable' | 'not-found' | 'refused' | 'bad-response',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A hub's JSON error body, or undefined when the body is not JSON. */
export function errorBody(response: HubResponse): Record<string, unknown> | undefined {
  try {
    return JSON.parse(response.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The error code of a refusal (4xx/5xx); an answer that is not one has none (and its body, maybe 32 shares, is not parsed for it). */
export function errorCode(response: HubResponse): string | undefined {
  if (response.status < 400) return undefined;
  const code = errorBody(response)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Answers by which a hub says our registration with it may be gone, and how
 * the log puts it. A hub answers every failure of a signature's key (also a
 * block it does not hold: our name was registered afresh) with the same 403,
 * so that callers learn nothing about its pools; older hubs say
 * psrd.unknown-block.
 */
const STALE_REGISTRATION: Record<string, { status: number; reason: string }> = {
  'client.unknown': { status: 400, reason: 'does not know this client' },
  'psrd.unknown-block': { status: 400, reason: 'does not hold the PSRD blocks this client uses' },
  'signature.invalid': { status: 403, reason: 'does not verify this client\'s signatures' },
};

/** Why a hub's answer means this client may have to register again, or undefined. */
export function staleRegistration(response: HubResponse): string | undefined {
  const code = errorCode(response);
  const stale = code !== undefined && Object.hasOwn(STALE_REGISTRATION, code) ? STALE_REGISTRATION[code] : undefined;
  return stale !== undefined && stale.status === response.status ? stale.reason : undefined;
}

/** The hub ran short of the PSRD it allocates from (it stored or delivered nothing). */
export function hubShortOfPsrd(response: HubResponse): boolean {
  return response.status === 503 && errorCode(response) === 'psrd.exhausted';
}

/** A non-200 answer as the error a relay reports for this hub. */
export function refusal(hubName: string, response: HubResponse): HubCallError {
  const body = errorBody(response);
  const code = errorCode(response);
  const message = `hub ${hubName} answered ${response.status}${code ? ` ${code}` : ''}: ${String(body?.message ?? '')}`;
  return new HubCallError(hubName, code === 'share.not-found' ? 'not-found' : 'refused', message, response.status);
}
