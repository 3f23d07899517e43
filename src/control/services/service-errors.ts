import { EdgewardError } from '../../shared/errors.js';

/**
 * The error codes services throw and the HTTP status the API maps each to (api/error-handler.ts). A customer
 * asking for another customer's object gets `not_found`, exactly as for an object that does not exist.
 */
export const notFound = (what: string, field?: string): EdgewardError =>
  new EdgewardError('not_found', `${what} not found`, field === undefined ? {} : { field });

export const forbidden = (message: string, field?: string): EdgewardError =>
  new EdgewardError('forbidden', message, field === undefined ? {} : { field });

export const conflict = (code: string, message: string, field?: string): EdgewardError =>
  new EdgewardError(code, message, field === undefined ? {} : { field });

export const invalid = (message: string, field: string): EdgewardError =>
  new EdgewardError('invalid_request', message, { field });

export const HTTP_STATUS_BY_CODE: Readonly<Record<string, number>> = {
  invalid_request: 400,
  weak_password: 400,
  origin_forbidden: 400,
  origin_unresolvable: 400,
  invalid_rule: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  conflict: 409,
  email_taken: 409,
  hostname_taken: 409,
  invalid_state: 409,
  hostnames_unverified: 409,
  kyc_required: 409,
  last_admin: 409,
  verification_failed: 422,
  rate_limited: 429,
};
