import { DomainError } from '../../domain/errors.ts';

/**
 * HTTP to an external search engine (storage/search/opensearch.ts): every request bounded by a timeout, and every
 * failure — refused connection, timeout, an answer that is not 2xx (save those the caller expects) — the domain's
 * 503 `search_unavailable`, never a 500. The cause is kept on the error for the log.
 */
export interface EngineEndpoint {
  /** The engine's base URL, without credentials (e.g. http://127.0.0.1:9200). */
  base: string;
  /** Sent as Authorization (Basic from the URL's user:password, or a key). */
  authorization: string | undefined;
  timeoutMs: number;
}

export class EngineError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** The answer readers and the newsroom get when the engine cannot answer: a 503 with a Chinese message. */
export function unavailable(cause: unknown): DomainError {
  const error = new DomainError('unavailable', 'search_unavailable', '搜索服务暂时不可用，请稍后再试', undefined, 5);
  (error as Error & { cause?: unknown }).cause = cause;
  return error;
}

export interface EngineResponse {
  status: number;
  body: unknown;
}

/**
 * One request. `ok` lists the statuses besides 2xx that are answers rather than failures (404 for a missing
 * document or index). Bodies are JSON, or NDJSON text for _bulk.
 */
export async function engineRequest(
  endpoint: EngineEndpoint,
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  { ok = [] as number[], ndjson = false } = {},
): Promise<EngineResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (endpoint.authorization) headers.authorization = endpoint.authorization;
  if (body !== undefined) headers['content-type'] = ndjson ? 'application/x-ndjson' : 'application/json';
  let res: Response;
  try {
    res = await fetch(endpoint.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : ndjson ? (body as string) : JSON.stringify(body),
      signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${endpoint.timeoutMs} ms` : (err as Error).message;
    throw unavailable(new EngineError(`${method} ${path}: ${reason}`));
  }
  const text = method === 'HEAD' ? '' : await res.text().catch(() => '');
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): kept as text for the message.
  }
  if ((res.status < 200 || res.status > 299) && !ok.includes(res.status)) {
    throw unavailable(new EngineError(`${method} ${path}: ${res.status} ${describe(parsed)}`, res.status));
  }
  return { status: res.status, body: parsed };
}

/** The engine's own words for a failure (Elasticsearch/OpenSearch `error.type: reason`), short. */
function describe(body: unknown): string {
  const error = (body as { error?: { type?: string; reason?: string } | string } | undefined)?.error;
  const text =
    typeof error === 'string' ? error : error ? `${error.type ?? ''}: ${error.reason ?? ''}` : typeof body === 'string' ? body : JSON.stringify(body ?? '');
  return text.slice(0, 300);
}
