/** Typed errors of the domain; the web layer maps each kind to its HTTP status once. */
export type ErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'gone'
  | 'conflict'
  | 'throttled'
  // Uploads: too many bytes, a type we do not take, a well-formed file we refuse to process (too many pixels).
  | 'too_large'
  | 'unsupported'
  | 'unprocessable';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** Seconds to wait, for throttled errors. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (message: string, field?: string, code = 'invalid_input') =>
  new DomainError('invalid', code, message, field);
export const notFound = (what: string) => new DomainError('not_found', 'not_found', `${what} not found`);
export const forbidden = (message = 'You are not allowed to do that') => new DomainError('forbidden', 'forbidden', message);
export const conflict = (code: string, message: string, field?: string) => new DomainError('conflict', code, message, field);
export const unauthorized = (message = 'Sign in or send a valid API token', code = 'unauthorized') =>
  new DomainError('unauthorized', code, message);
