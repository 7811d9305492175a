import type { Actor } from '../../domain/accounts/roles.ts';
import { actorAbilities } from '../../domain/policy.ts';
import type { Account, TokenListing } from '../../domain/accounts/account.ts';
import type { AuditEvent } from '../../domain/audit/audit-event.ts';
import type { SynonymGroup } from '../../domain/search/synonym.ts';
import type { Source } from '../../domain/sources/source.ts';

/** Output allowlists for the newsroom's people, tokens, sources and audit log: never a hash or a secret. */

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** The signed-in person, as the newsroom shows them, with what they may do there. */
export function userOut(actor: Actor) {
  return { username: actor.username, displayName: actor.displayName, role: actor.role, abilities: actorAbilities(actor) };
}

/** A signed-in session: who, and the token its changes must carry (null for a bearer token). */
/** The signed-in person, the CSRF token, and the limits the newsroom checks before sending (uploads). */
export function sessionOut(actor: Actor, csrfToken: string | null, limits: { mediaMaxBytes: number }) {
  return { user: userOut(actor), csrfToken, limits };
}

export function accountOut(a: Account) {
  return { id: a.id, username: a.username, displayName: a.displayName, role: a.role, disabled: a.disabledAt !== null, createdAt: iso(a.createdAt) };
}

export function tokenOut(t: TokenListing) {
  return { id: t.id, username: t.username, name: t.name, createdAt: iso(t.createdAt), lastUsedAt: iso(t.lastUsedAt), revokedAt: iso(t.revokedAt) };
}

export function sourceOut(s: Source) {
  return { id: s.id, name: s.name, url: s.url };
}

export function synonymOut(g: SynonymGroup) {
  return { id: g.id, words: g.words, updatedAt: iso(g.updatedAt) };
}

export function auditOut(e: AuditEvent) {
  return {
    id: e.id,
    at: iso(e.at),
    actor: e.actorUsername,
    actorName: e.actorName,
    action: e.action,
    subjectType: e.subjectType,
    subjectId: e.subjectId,
    subjectName: e.subjectName,
    detail: e.detail,
  };
}

/** The only time a token is ever shown: only its hash is kept. */
export function newTokenOut(t: { id: number; token: string; username: string; name: string }) {
  return { id: t.id, token: t.token, username: t.username.trim().toLowerCase(), name: t.name };
}
