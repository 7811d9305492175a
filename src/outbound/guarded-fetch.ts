import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { spool, type MediaFolder, type Spooled } from '../domain/media/files.ts';
import { RemoteRefusal, type RemoteImageSource } from '../domain/media/remote.ts';

/** A resolver: every address a host name has (node:dns lookup with `all`). Injectable for tests. */
export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>;

export interface GuardOptions {
  resolve?: Resolve;
  /** Time for one image, DNS to last byte (the caller's signal may end it sooner). */
  timeoutMs?: number;
  maxRedirects?: number;
  /**
   * Test only, set through the container's options (never from the environment): address and port pairs that are
   * let through although the guard would refuse them, so a local test server can stand in for a remote site.
   */
  unsafeAllow?: readonly { address: string; port: number }[];
}

const PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * The address check: only globally routable unicast. ipaddr.js names every special range (private, loopback,
 * link-local, CGNAT, multicast, unspecified, broadcast, reserved, documentation, benchmarking, 6to4, Teredo, NAT64,
 * unique-local…); anything it does not call `unicast` is refused. IPv4-mapped IPv6 (::ffff:10.0.0.1) is checked as
 * the IPv4 address it is.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/**
 * Fetches remote images for re-hosting without letting an article's author reach inside our network (SSRF): http
 * and https on their standard ports (80, 443) only, no user name or password in the URL, no cookies or credentials
 * sent; the host name is resolved here, every address checked, and the connection made to the checked address (so
 * a second DNS answer cannot swap it); at most 3 redirects, each checked the same way; a 200 only; at most maxBytes
 * (a larger Content-Length is refused before reading); one overall timeout.
 */
export class GuardedImageFetcher implements RemoteImageSource {
  private readonly resolve: Resolve;
  private readonly timeoutMs: number;
  private readonly maxRedirects: number;
  private readonly allow: readonly { address: string; port: number }[];

  constructor(options: GuardOptions = {}) {
    this.resolve = options.resolve ?? ((host) => dnsLookup(host, { all: true, verbatim: true }));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxRedirects = options.maxRedirects ?? 3;
    this.allow = options.unsafeAllow ?? [];
  }

  async fetch(url: string, into: MediaFolder, maxBytes: number, signal?: AbortSignal): Promise<Spooled> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let current = url;
    for (let hop = 0; ; hop++) {
      const target = await this.check(current);
      const res = await this.request(target, both);
      if (res.statusCode && [301, 302, 303, 307, 308].includes(res.statusCode)) {
        res.resume();
        const location = res.headers.location;
        if (!location) throw new RemoteRefusal('redirect without a Location');
        if (hop >= this.maxRedirects) throw new RemoteRefusal(`more than ${this.maxRedirects} redirects`);
        current = new URL(location, current).href;
        continue;
      }
      if (res.statusCode !== 200) {
        res.resume();
        throw new RemoteRefusal(`answered ${res.statusCode}`);
      }
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > maxBytes) {
        res.destroy();
        throw new RemoteRefusal(`Content-Length ${declared} over ${maxBytes}`);
      }
      try {
        return await spool(res, into, maxBytes, both);
      } catch (err) {
        res.destroy();
        throw err instanceof RemoteRefusal ? err : new RemoteRefusal(err instanceof Error ? err.message : String(err));
      }
    }
  }

  /** The URL, and the one address to connect to, once both passed every rule. */
  private async check(raw: string): Promise<{ url: URL; address: string; family: number; port: number }> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new RemoteRefusal('not a URL');
    }
    const standard = PORTS[url.protocol];
    if (standard === undefined) throw new RemoteRefusal(`scheme ${url.protocol} refused`);
    if (url.username || url.password) throw new RemoteRefusal('credentials in the URL refused');
    const port = url.port ? Number(url.port) : standard;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await this.resolve(host).catch(() => []);
    if (addresses.length === 0) throw new RemoteRefusal(`${host} does not resolve`);
    const allowed = (a: string) => this.allow.some((x) => x.address === a && x.port === port);
    // Every address must pass: a name with one public and one private address is refused whole.
    for (const a of addresses) {
      if (allowed(a.address)) continue;
      if (port !== 80 && port !== 443) throw new RemoteRefusal(`port ${port} refused`);
      if (!isPublicAddress(a.address)) throw new RemoteRefusal(`${host} resolves to ${a.address}, not a public address`);
    }
    return { url, address: addresses[0]!.address, family: addresses[0]!.family, port };
  }

  private request(target: { url: URL; address: string; family: number; port: number }, signal: AbortSignal): Promise<http.IncomingMessage> {
    // The connection goes to the address checked above, whatever DNS would answer now; TLS still checks the name.
    const pinned: LookupFunction = (_host, options, callback) => {
      if ((options as { all?: boolean }).all)
        (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
      else callback(null, target.address, target.family);
    };
    const client = target.url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(
        target.url,
        {
          method: 'GET',
          port: target.port,
          lookup: pinned,
          agent: false,
          signal,
          headers: { accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif', 'user-agent': 'Inkstone image fetcher' },
        },
        resolve,
      );
      req.on('error', (err) => reject(signal.aborted ? new RemoteRefusal('timed out') : new RemoteRefusal(err.message)));
      req.end();
    });
  }
}
