import { isIPv4, isIPv6 } from 'node:net';
import type { Ctx } from '../context.ts';
import { hmac, randomToken } from '../crypto.ts';
import { DomainError } from '../errors.ts';
import type { ReactionRules } from './rules.ts';

/**
 * The layered anti-stuffing every reader vote goes through (mood votes and poll ballots alike): a signed reader
 * cookie, caps per address, and a burst rule that holds votes from one address prefix for review.
 */
export const HOUR = 3_600_000;
const MINUTE = 60_000;

export const newReaderId = (): string => randomToken(16);

// Addresses are never stored in the clear, only HMACed with the secret (`address:…`, `prefix:…`).
// A reader votes from the same address again and again: recent hashes are kept instead of recomputed.
const recentHashes = new WeakMap<ReactionRules, Map<string, string>>();
const RECENT_HASHES = 10_000;

export function hashed(rules: ReactionRules, input: string): string {
  let recent = recentHashes.get(rules);
  if (!recent) recentHashes.set(rules, (recent = new Map()));
  let hash = recent.get(input);
  if (hash === undefined) {
    if (recent.size >= RECENT_HASHES) recent.clear();
    recent.set(input, (hash = hmac(rules.secret, input)));
  }
  return hash;
}

/**
 * The /24 of an IPv4 address or the /64 of an IPv6 one: what one household, office or host usually holds. Comment
 * bans name a wider IPv6 block (`v6Groups` 3: a /48, a site's usual allocation).
 */
export function addressPrefix(address: string, v6Groups = 4): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const v4 = mapped ? mapped[1]! : address;
  if (isIPv4(v4)) return v4.split('.').slice(0, 3).join('.') + '.0/24';
  if (isIPv6(address)) return expandIPv6(address).slice(0, v6Groups).join(':') + `::/${v6Groups * 16}`;
  return address;
}

/**
 * What per-address limits count one address as: an IPv4 address as it is, an IPv6 address by its /64. One host is
 * usually handed a whole /64 and may send from any address in it, so counting IPv6 addresses one by one let it mint
 * cookies, votes and comments, or guess passwords, without end. The readers' caps and the login throttles use it.
 */
export function limitedAddress(address: string): string {
  const mapped = /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address);
  return !mapped && isIPv6(address) ? addressPrefix(address) : address;
}

/** The hash the readers' per-address limits count under (the hash stored with a vote or comment stays the whole address). */
export function limitedAddressHash(rules: ReactionRules, address: string): string {
  return hashed(rules, `address:${limitedAddress(address)}`);
}

function expandIPv6(address: string): string[] {
  const bare = address.split('%')[0]!;
  const [head, tail] = bare.includes('::') ? (bare.split('::') as [string, string]) : [bare, undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  return [...left, ...fill, ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}

const hourOf = (t: number): number => t - (t % HOUR);

export interface VoterInput {
  /**
   * What is voted on, as the counters' keys name it: an article id for moods (`42`), `poll:7` for a poll. Each
   * subject has its own caps and burst window.
   */
  subject: string;
  /** A reader id from a verified cookie; null for a reader we have not seen (or whose cookie was forged). */
  readerId: string | null;
  /** The client's address as the web layer determined it (TRUST_PROXY decides whether proxies are believed). */
  address: string;
  /** Whether this known reader already has a vote on the subject (changing or repeating it is no new voice). */
  hasVoted: (readerId: string) => Promise<boolean>;
}

/** A vote let through: who votes, whether it is held for review, and the hashes stored with it. */
export interface AdmittedVoter {
  readerId: string;
  newReader: boolean;
  held: boolean;
  addressHash: string;
  prefixHash: string;
  at: number;
}

/**
 * Lets a vote through the layers or refuses it (429 `too_many_votes`): new readers are capped per address and subject
 * per hour, and the cookies one address collects are capped too (so they cannot be replayed by the hundred later);
 * every new voice from an address is capped at twice that, cookie or not; a burst from one address prefix is held.
 */
export async function admitVoter(ctx: Ctx, input: VoterInput): Promise<AdmittedVoter> {
  const rules = ctx.reactions;
  const { subject, address } = input;
  const now = ctx.clock.now();
  const addressHash = hashed(rules, `address:${address}`);
  const limited = limitedAddressHash(rules, address);
  const newReader = input.readerId === null;
  const over = async (key: string, cap: number) => cap > 0 && (await rules.hits.hit(key, HOUR, now)) > cap;
  const refuse = () => {
    const retryAfter = Math.max(1, Math.ceil((hourOf(now) + HOUR - now) / 1000));
    return new DomainError('throttled', 'too_many_votes', '该地址本小时投票过多，请稍后再试', undefined, retryAfter);
  };
  if (newReader && (await over(`cap:${subject}:${limited}`, rules.capPerHour))) throw refuse();
  if (newReader && (await over(`mint:${limited}`, rules.newReadersPerHour))) throw refuse();
  const voted = !newReader && (await input.hasVoted(input.readerId!));
  if (!voted && (await over(`all:${subject}:${limited}`, rules.capPerHour * 2))) throw refuse();
  const readerId = input.readerId ?? newReaderId();
  const prefixHash = hashed(rules, `prefix:${addressPrefix(address)}`);
  const held = rules.burstPerMinute > 0 && (await rules.hits.hit(`burst:${subject}:${prefixHash}`, MINUTE, now)) > rules.burstPerMinute;
  return { readerId, newReader, held, addressHash, prefixHash, at: now };
}
