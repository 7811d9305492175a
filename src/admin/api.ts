// The newsroom's one door to the JSON API: same-origin cookies, the CSRF header on every change, errors as ApiError.
// Response types come from the server's presenters (src/shared/api.ts), imported as types: no server code here.
import type { ErrorBody, ErrorCode, Media } from '../shared/api.ts';

/** Who made an article's current revision, and when: in a 412 `stale_revision`'s `current`. */
export interface RevisionStamp {
  revision: number;
  updatedAt: string;
  updatedBy: { username: string; displayName: string } | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** null when the answer was not ours (a proxy's error page, say). */
    readonly code: ErrorCode | null,
    message: string,
    readonly field?: string,
    readonly retryAfter?: number,
    /** A 412 `stale_revision`'s current revision. */
    readonly current?: RevisionStamp,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onSignedOut: () => void = () => undefined;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Dispatched on window when the person signs in again after their session ended under an open page. */
export const SIGNED_IN_AGAIN = 'admin:signed-in-again';

/** Called when the server says the session is gone (expired, signed out elsewhere, password changed). */
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

async function handle<T>(res: Response, path: string): Promise<T> {
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as Partial<ErrorBody & { error: { current?: RevisionStamp } }>;
  if (res.ok && path === '/session') learnLimits(data);
  if (!res.ok) {
    const e = data.error;
    if (res.status === 401 && path !== '/session') onSignedOut();
    const retry = res.headers.get('retry-after');
    throw new ApiError(res.status, e?.code ?? null, e?.message ?? res.statusText, e?.field, retry ? Number(retry) : undefined, e?.current);
  }
  return data as T;
}

export interface RequestOptions {
  /** The article revision the change was made against (`If-Match`): a newer one answers 412 `stale_revision`. */
  ifMatch?: number;
  /** `Idempotency-Key`: the same key on a retry makes the server answer the first request's result instead of acting twice. */
  idempotencyKey?: string;
}

/** A fresh Idempotency-Key (random, 128 bits); getRandomValues works on plain-HTTP installs too, unlike randomUUID. */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function api<T = unknown>(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  const res = await fetch('/api/v1' + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  return handle<T>(res, path);
}

/**
 * A creating POST that is safe to send again (the route takes Idempotency-Key): one key while the same request is sent
 * again after a failure — the server may have made the thing and only the answer was lost, and then answers it again
 * instead of making a second — and one more try at once when no answer came. A new key once answered or changed.
 */
export function creator<T>(path: string): (body: unknown) => Promise<T> {
  let pending: { json: string; key: string } | null = null;
  return async (body) => {
    const json = JSON.stringify(body);
    if (pending?.json !== json) pending = { json, key: newIdempotencyKey() };
    const { key } = pending;
    const out = await sendKeyed(() => api<T>('POST', path, body, { idempotencyKey: key }));
    if (pending?.key === key) pending = null;
    return out;
  };
}

/**
 * Sends a request that carries an Idempotency-Key, and once more at once when no answer came at all (the connection
 * dropped: the server may have done it and only the answer was lost, and then answers it again).
 */
export async function sendKeyed<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (e) {
    if (e instanceof ApiError) throw e;
    return await send();
  }
}

/**
 * Whether a keyed request's failure is the server refusing it after looking at it (a 4xx): nothing was made with the
 * key, so what is sent next may take a new one. No answer or a 5xx leave it unknown; so do a sign-in or CSRF refusal
 * (401, 403 before the request was looked at), 429, a request with the key still running, or one done whose answer
 * was lost: the next try must send the same request with the same key to learn what became of it.
 */
export function refusedOutright(e: unknown): boolean {
  if (!(e instanceof ApiError) || e.status < 400 || e.status >= 500) return false;
  if (e.status === 401 || e.code === 'csrf_failed' || e.code === 'bad_origin' || e.status === 429) return false;
  return e.code !== 'idempotency_in_progress' && e.code !== 'concurrent_change' && e.code !== 'idempotency_answer_lost';
}

/** A request refused in the browser before it was sent, with the sentence to show. */
export class Refusal extends Error {}

/** The image types the server keeps (it decides by the bytes; the pickers offer only these). */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'] as const;
export const IMAGE_ACCEPT = IMAGE_TYPES.join(',');

/**
 * The largest upload the server takes: its default (INKSTONE_MEDIA_MAX_BYTES, 20 MiB) until the server says otherwise,
 * in the session's `limits.mediaMaxBytes` when it sends one, or in the size named by a 413.
 */
let mediaMaxBytes = 20 * 1024 * 1024;

function learnLimits(data: unknown): void {
  const limit = (data as { limits?: { mediaMaxBytes?: unknown } }).limits?.mediaMaxBytes;
  if (typeof limit === 'number' && limit > 0) mediaMaxBytes = limit;
}

const megabytes = (n: number) => (n >= 1024 * 1024 ? `${+(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);
const tooLarge = () => `图片不能超过 ${megabytes(mediaMaxBytes)}`;

/** Why a file cannot be uploaded as an image (null when it can): checked before a byte is sent. */
export function checkImage(file: File): string | null {
  if (file.type && !(IMAGE_TYPES as readonly string[]).includes(file.type)) return '只能上传 JPEG、PNG、WebP、GIF 或 AVIF 格式的图片';
  if (file.size > mediaMaxBytes) return tooLarge();
  return null;
}

/** Uploads one image to POST /media (multipart, field "file"), unless checkImage refuses it first. */
export async function uploadImage(file: File): Promise<Media> {
  const refused = checkImage(file);
  if (refused) throw new Refusal(refused);
  const form = new FormData();
  form.append('file', file);
  const res = await fetch('/api/v1/media', {
    method: 'POST',
    headers: csrfToken ? { 'x-csrf-token': csrfToken } : {},
    body: form,
    credentials: 'same-origin',
  });
  try {
    return await handle<Media>(res, '/media');
  } catch (e) {
    if (e instanceof ApiError && e.status === 413) {
      // "The file is larger than 5.0 MB": the server's limit is lower than assumed; remember it for the next file.
      const m = /([\d.]+) (MB|KB)/.exec(e.message);
      if (m) mediaMaxBytes = Math.floor(Number(m[1]) * (m[2] === 'MB' ? 1024 * 1024 : 1024));
      throw new Refusal(tooLarge());
    }
    throw e;
  }
}

/** The options of an import (the CLI's --dry-run, --update, --create-authors). */
export interface ImportChoice {
  dryRun: boolean;
  update: boolean;
  createAuthors: boolean;
}

/**
 * Uploads an archive file to POST /imports (multipart: the options, then field "file"), which starts the import in the
 * background; the answer is the run (202). A file over `maxBytes` is refused before a byte is sent.
 */
export async function uploadImport<T>(file: File, choice: ImportChoice, maxBytes: number): Promise<T> {
  if (file.size > maxBytes) throw new Refusal(`文件不能超过 ${megabytes(maxBytes)}；更大的文件请用命令行导入`);
  const form = new FormData();
  for (const [name, value] of Object.entries(choice)) form.append(name, value ? 'true' : 'false');
  form.append('file', file);
  const res = await fetch('/api/v1/imports', {
    method: 'POST',
    headers: csrfToken ? { 'x-csrf-token': csrfToken } : {},
    body: form,
    credentials: 'same-origin',
  });
  return handle<T>(res, '/imports');
}

/** A sentence for every code the server can send (domain/errors.ts ERROR_CODES): a new code fails the type check here. */
const messages: Record<ErrorCode, string> = {
  invalid_input: '填写的内容格式不对',
  unknown_field: '请求中有无法识别的内容，请刷新页面后重试',
  required: '请填写必填项',
  invalid_json: '请求格式有误，请刷新页面后重试',
  too_deep: '请求内容层级过深',
  stale_revision: '稿件已被他人修改',
  too_complex: '正文结构过于复杂（嵌套过深或标签过多），请清理格式后再保存',
  bad_request: '请求有误，请刷新页面后重试',
  too_long: '内容超出长度限制',
  too_short: '密码至少需要 8 个字符',
  too_many: '数量超出上限',
  duplicate: '同一篇稿件只能出现一次',
  invalid_url: '网址须以 http:// 或 https:// 开头，或是本站的图片地址',
  foreign_url: '只能使用本站的网址',
  invalid_slug: '地址只能包含小写字母、数字和横线',
  invalid_username: '用户名须为 2–32 位小写字母、数字、点、横线或下划线',
  invalid_role: '角色无效',
  wrong_password: '当前密码不正确',
  invalid_time: '时间格式不对',
  in_past: '定时发布的时间必须晚于现在',
  too_far: '定时发布的时间须在一年之内',
  in_future: '发布时间不能晚于现在；要在将来发布，请用定时发布',
  before_created: '发布时间不能早于稿件的创建时间',
  invalid_date: '日期格式不对',
  invalid_range: '起始日期应早于截止日期',
  invalid_cursor: '分页已失效，请刷新页面',
  unknown_channel: '频道不存在',
  unknown_author: '没有这个作者',
  invalid_status: '稿件状态不对',
  invalid_sort: '排序方式不对（按相关度排序需要输入关键词）',
  unknown_article: '稿件不存在',
  unknown_mood: '没有这种表情',
  unknown_option: '投票选项不存在，或单选投票选了多项',
  unknown_topic: '专题不存在',
  cycle: '不能把频道移到它自己的下级',
  self_reference: '稿件不能推荐它自己',
  pinned_and_excluded: '同一篇稿件不能既置顶又移除',
  file_required: '请选择要上传的图片',
  too_many_files: '一次只能上传一张图片',
  too_many_fields: '上传的内容过多',
  invalid_multipart: '上传中断或格式有误，请重试',
  invalid_image: '图片已损坏，无法读取',
  import_refused: '文件无法导入，没有写入任何内容',
  comment_blocked: '留言含有不允许发布的内容',
  unauthorized: '登录已失效，请重新登录',
  invalid_token: 'API 令牌无效或已被撤销',
  invalid_credentials: '用户名或密码错误',
  forbidden: '您的角色无权执行此操作',
  csrf_failed: '页面已过期，请刷新后重试',
  bad_origin: '请从本站页面操作',
  comment_banned: '该读者或网段已被禁止留言',
  not_found: '内容不存在或已被删除',
  not_configured: '此功能尚未配置',
  invalid_transition: '稿件当前的状态不允许这个操作',
  concurrent_change: '稿件刚被他人修改，请刷新后重试',
  not_deletable: '只有从未发布过的草稿和待审稿件可以删除；发布过或已定时的稿件请撤稿',
  channel_exists: '该位置已有同名频道',
  topic_exists: '该专题地址已被使用',
  username_taken: '用户名已被占用',
  wechat_unavailable: '微信接口暂时无法访问，请稍后再试',
  media_in_use: '图片正被稿件、直播消息或专题封面使用，不能删除',
  poll_closed: '投票已截止',
  already_voted: '您已经投过票了',
  poll_has_votes: '已有读者投票，不能再增删选项或改变单选/多选',
  media_gone: '所选图片已从图片库删除，请重新选择图片',
  synonym_taken: '其中有词已在另一组同义词里，一个词只能属于一组',
  import_running: '已有一个导入正在进行，请等它完成后再开始',
  reindex_running: '搜索索引正在重建，请等它完成后再开始',
  word_taken: '这个词已在敏感词表里',
  comment_decided: '这条留言刚被其他人处理过，已刷新为最新状态',
  duplicate_comment: '相同的留言刚刚已经提交过，请勿重复提交',
  already_banned: '已经封禁过了',
  not_live: '这篇稿件还不是图文直播，请先开启直播',
  live_ended: '直播已结束，重新开启后才能发布新消息',
  unknown_media: '图片库中没有这张图片，可能已被删除',
  payload_too_large: '文件太大',
  unsupported_media_type: '不支持的图片格式',
  too_many_pixels: '图片像素过多，请缩小后再上传',
  image_too_slow: '图片处理超时，请缩小尺寸或另存为普通格式后再上传',
  too_many_scans: '这张 JPEG 的扫描次数过多，请另存为普通 JPEG 后再上传',
  idempotency_key_reused: '内容与刚才提交的不同，请重新提交',
  idempotency_in_progress: '上一次提交仍在处理中，请稍候再试',
  idempotency_answer_lost: '这次提交已经完成，但结果无法再次取回，请到列表中查看，不要重复提交',
  article_in_trash: '这篇稿件此前已经创建，现已被删除到回收站；请到回收站恢复后再继续编辑，或把内容复制到新稿件',
  article_purged: '这篇稿件此前已经创建，但已从回收站永久删除；再次保存将另存为一篇新稿件',
  too_many_attempts: '登录失败次数过多，请稍后再试',
  too_many_votes: '操作过于频繁，请稍后再试',
  too_many_comments: '留言过于频繁，请稍后再试',
  search_unavailable: '搜索服务暂时不可用，请稍后再试',
  database_busy: '数据库正忙，请稍后重试',
  internal: '服务器出错了，请稍后再试',
};

/** The fields the server names in its errors, as the forms label them. */
const fieldNames: Record<string, string> = {
  title: '标题',
  subtitle: '副标题',
  channel: '频道',
  body: '正文',
  summary: '摘要',
  source: '来源',
  byline: '署名',
  editor: '责任编辑',
  tags: '标签',
  cover: '封面图',
  at: '发布时间',
  comment: '退回意见',
  username: '用户名',
  displayName: '姓名',
  password: '密码',
  role: '角色',
  slug: '地址',
  name: '名称',
  parent: '上级频道',
  description: '简介',
  articles: '专题稿件',
  items: '推荐稿件',
  pinned: '置顶稿件',
  excluded: '移除的稿件',
  file: '图片',
  caption: '图片说明',
  alt: '替代文字',
  credit: '图片来源',
  url: '网址',
};

/** A sentence in Chinese for the person at the keyboard, whatever went wrong. */
export function explain(err: unknown): string {
  if (err instanceof Refusal) return err.message;
  if (err instanceof ApiError) {
    // A code this build does not know yet (a newer server) falls back to the server's own words.
    const known = err.code === null ? `服务器暂时无法处理请求（${err.status}），请稍后再试` : (messages[err.code] ?? err.message);
    if (err.code === 'too_many_attempts' && err.retryAfter) return `${known}（约 ${Math.ceil(err.retryAfter / 60)} 分钟后）`;
    return err.field && err.code !== 'wrong_password' ? `${known}（${fieldNames[err.field] ?? err.field}）` : known;
  }
  return '网络错误，请检查网络连接后重试';
}
