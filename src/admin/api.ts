// The newsroom's one door to the JSON API: same-origin cookies, the CSRF header on every change, errors as ApiError.

export interface User {
  username: string;
  displayName: string;
  role: 'reporter' | 'editor' | 'admin';
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onSignedOut: () => void = () => undefined;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the server says the session is gone (expired, signed out elsewhere, password changed). */
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

async function handle<T>(res: Response, path: string): Promise<T> {
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string; field?: string } };
  if (!res.ok) {
    const e = data.error ?? { code: 'http_' + res.status, message: res.statusText };
    if (res.status === 401 && path !== '/session') onSignedOut();
    const retry = res.headers.get('retry-after');
    throw new ApiError(res.status, e.code, e.message, e.field, retry ? Number(retry) : undefined);
  }
  return data as T;
}

export async function api<T = unknown>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch('/api/v1' + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  return handle<T>(res, path);
}

export interface Media {
  id: number;
  url: string;
  width: number;
  height: number;
}

/** Uploads one image to POST /media (multipart, field "file"). */
export async function uploadImage(file: File): Promise<Media> {
  const form = new FormData();
  form.append('file', file);
  const res = await fetch('/api/v1/media', {
    method: 'POST',
    headers: csrfToken ? { 'x-csrf-token': csrfToken } : {},
    body: form,
    credentials: 'same-origin',
  });
  return handle<Media>(res, '/media');
}

const messages: Record<string, string> = {
  invalid_credentials: '用户名或密码错误',
  too_many_attempts: '登录失败次数过多，请稍后再试',
  forbidden: '您的角色无权执行此操作',
  unauthorized: '登录已失效，请重新登录',
  csrf_failed: '页面已过期，请刷新后重试',
  invalid_transition: '稿件当前的状态不允许这个操作',
  concurrent_change: '稿件刚被他人修改，请刷新后重试',
  in_past: '定时发布的时间必须晚于现在',
  too_far: '定时发布的时间须在一年之内',
  unknown_channel: '频道不存在',
  required: '请填写必填项',
  too_long: '内容超出长度限制',
  too_short: '密码至少需要 8 个字符',
  wrong_password: '当前密码不正确',
  username_taken: '用户名已被占用',
  invalid_username: '用户名须为 2–32 位小写字母、数字、点、横线或下划线',
  payload_too_large: '文件太大',
  unsupported_image: '不支持的图片格式',
  channel_exists: '该位置已有同名频道',
  topic_exists: '该专题地址已被使用',
  cycle: '不能把频道移到它自己的下级',
  not_found: '内容不存在或已被删除',
};

/** A sentence for the person at the keyboard: ours in Chinese when we know the code, else the server's. */
export function explain(err: unknown): string {
  if (err instanceof ApiError) {
    const known = messages[err.code];
    if (err.code === 'too_many_attempts' && err.retryAfter) return `${known}（约 ${Math.ceil(err.retryAfter / 60)} 分钟后）`;
    return known ? (err.field && err.code !== 'wrong_password' ? `${known}（${err.field}）` : known) : err.message;
  }
  return err instanceof Error ? `网络错误：${err.message}` : String(err);
}
