import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode, type ErrorKind } from '../domain/errors.ts';

const statusOf: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  gone: 410,
  conflict: 409,
  precondition: 412,
  throttled: 429,
  too_large: 413,
  unsupported: 415,
  unprocessable: 422,
  unavailable: 503,
  internal: 500,
};

/** A refusal by the framework or a plugin that carries only a status: the code that status stands for. */
const codeOfStatus: Record<number, ErrorCode> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_attempts',
};

export interface ApiError {
  status: number;
  code: ErrorCode;
  message: string;
  field?: string;
  retryAfter?: number;
  details?: Record<string, unknown>;
}

interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Which field a schema error is about: a missing or unknown property names itself, else the path. */
function fieldOf(issue: ValidationIssue): string | undefined {
  const p = issue.params ?? {};
  const base = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const extra = (p.missingProperty ?? p.additionalProperty) as string | undefined;
  const field = [base, extra].filter(Boolean).join('.');
  return field === '' ? undefined : field;
}

/** Maps any error to the one JSON error shape; only unexpected errors become 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof DomainError) {
    return { status: statusOf[err.kind], code: err.code, message: err.message, field: err.field, retryAfter: err.retryAfter, details: err.details };
  }
  const e = err as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
  if (e.validation && e.validation.length > 0) {
    const issue = e.validation[0]!;
    const field = fieldOf(issue);
    const code: ErrorCode = issue.keyword === 'additionalProperties' ? 'unknown_field' : issue.keyword === 'required' ? 'required' : 'invalid_input';
    const what =
      issue.keyword === 'additionalProperties' ? `unknown field "${field}"` : `${field ?? e.validationContext ?? 'input'} ${issue.message ?? 'is invalid'}`;
    return { status: 400, code, message: what, field };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', message: 'The request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', message: 'Send JSON (Content-Type: application/json)' };
  }
  if (err instanceof SyntaxError && (e.statusCode ?? 500) === 400) {
    return { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON' };
  }
  // SQLite's busy timeout ran out (SQLITE_BUSY and its extended codes): the transaction rolled back, nothing was
  // written, and the same request a moment later succeeds.
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_BUSY')) {
    return { status: 503, code: 'database_busy', message: 'The database is busy; try again in a moment', retryAfter: 1 };
  }
  const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
  if (status < 500) return { status, code: codeOfStatus[status] ?? 'bad_request', message: e.message };
  return { status: 500, code: 'internal', message: 'Something went wrong on our side' };
}

export function sendApiError(reply: FastifyReply, error: ApiError): FastifyReply {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  const body: { code: ErrorCode; message: string; field?: string } = { ...error.details, code: error.code, message: error.message };
  if (error.field) body.field = error.field;
  return reply.code(error.status).header('cache-control', 'no-store').send({ error: body });
}

export function isApiRequest(req: FastifyRequest): boolean {
  return req.url.startsWith('/api/');
}

/**
 * A request Node's HTTP parser refused before any route could see it (headers over 16 KB, such as a 10,000-character
 * search in the address; malformed HTTP; a request not sent in time): answered on the socket, in the one error shape.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request headers, its address included, are over 16 KB']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request did not arrive in time']
        : [400, 'The request is not valid HTTP'];
  const body = JSON.stringify({ error: { code: 'bad_request' satisfies ErrorCode, message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
