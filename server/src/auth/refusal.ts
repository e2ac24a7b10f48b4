import { errors } from 'jose';
import { HubError } from '../errors.ts';

/** A token refused: UNAUTHORIZED with a message that says why, never what the key was. */
export const refuse = (message: string, cause?: unknown): HubError => new HubError({ code: 'UNAUTHORIZED', message, cause });

/** What jose threw while checking a token, as the hub's refusal. */
export function refusalOf(err: unknown): HubError {
  if (err instanceof HubError) return err;
  if (err instanceof errors.JWTExpired) return refuse('token expired', err);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return refuse('token not yet valid', err);
    if (err.claim === 'iss') return refuse('token issuer not accepted', err);
    if (err.claim === 'aud') return refuse('token audience not accepted', err);
    return refuse(`token claim ${err.claim} not accepted`, err);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return refuse('bad token signature', err);
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
    return refuse('unsupported token algorithm', err);
  if (err instanceof errors.JWKSNoMatchingKey) return refuse('unknown token key', err);
  if (err instanceof errors.JOSEError) return refuse('malformed token', err);
  return refuse('token could not be checked', err);
}
