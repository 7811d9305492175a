import { createHash } from 'node:crypto';
import { randomToken } from '../crypto.ts';
import { DomainError } from '../errors.ts';

/** The WeChat JS-SDK signature: sha1 over the four fields in this exact order (WeChat's documented algorithm). */
export function jssdkSignature(p: { ticket: string; nonceStr: string; timestamp: number; url: string }): string {
  const url = p.url.split('#')[0];
  return createHash('sha1').update(`jsapi_ticket=${p.ticket}&noncestr=${p.nonceStr}&timestamp=${p.timestamp}&url=${url}`).digest('hex');
}

export interface JssdkConfig {
  appId: string;
  timestamp: number;
  nonceStr: string;
  signature: string;
}

interface Cached {
  value: string;
  until: number;
}

type Fetch = (url: string) => Promise<{ ok: boolean; json(): Promise<unknown> }>;

/**
 * Signs pages for WeChat's JS-SDK. The access token and jsapi ticket are each good for two hours and WeChat limits
 * how often they may be fetched, so both are cached until five minutes before they expire.
 */
export class WechatSigner {
  private ticket: Cached | undefined;
  private pending: Promise<string> | undefined;
  fetches = 0;

  constructor(
    private readonly creds: { appId: string; secret: string; apiBase: string },
    private readonly now: () => number = Date.now,
    private readonly fetcher: Fetch = (url) => fetch(url, { signal: AbortSignal.timeout(5000) }),
  ) {}

  private async call(path: string): Promise<Record<string, unknown>> {
    this.fetches++;
    const res = await this.fetcher(this.creds.apiBase.replace(/\/+$/, '') + path).catch(() => undefined);
    const body = (res?.ok ? await res.json().catch(() => undefined) : undefined) as Record<string, unknown> | undefined;
    if (!body || (typeof body.errcode === 'number' && body.errcode !== 0)) {
      throw new DomainError('conflict', 'wechat_unavailable', `WeChat did not answer${body?.errmsg ? `: ${String(body.errmsg)}` : ''}`);
    }
    return body;
  }

  private async freshTicket(): Promise<string> {
    const q = new URLSearchParams({ grant_type: 'client_credential', appid: this.creds.appId, secret: this.creds.secret });
    const token = await this.call(`/cgi-bin/token?${q}`);
    const ticket = await this.call(`/cgi-bin/ticket/getticket?${new URLSearchParams({ access_token: String(token.access_token), type: 'jsapi' })}`);
    const seconds = Number(ticket.expires_in ?? 7200);
    this.ticket = { value: String(ticket.ticket), until: this.now() + Math.max(60, seconds - 300) * 1000 };
    return this.ticket.value;
  }

  private async currentTicket(): Promise<string> {
    if (this.ticket && this.ticket.until > this.now()) return this.ticket.value;
    // Concurrent first requests share one fetch.
    this.pending ??= this.freshTicket().finally(() => (this.pending = undefined));
    return this.pending;
  }

  async sign(url: string): Promise<JssdkConfig> {
    const ticket = await this.currentTicket();
    const timestamp = Math.floor(this.now() / 1000);
    const nonceStr = randomToken(12);
    return { appId: this.creds.appId, timestamp, nonceStr, signature: jssdkSignature({ ticket, nonceStr, timestamp, url }) };
  }
}
