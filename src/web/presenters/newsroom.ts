import type { Actor } from '../../domain/accounts/roles.ts';
import type { Account, TokenListing } from '../../storage/repositories/accounts.ts';
import type { AuditEvent } from '../../storage/repositories/history.ts';
import type { Source } from '../../storage/repositories/sources.ts';

/** Output allowlists for the newsroom's people, tokens, sources and audit log: never a hash or a secret. */

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** The signed-in person, as the newsroom shows them. */
export function userOut(u: Pick<Actor, 'username' | 'displayName' | 'role'>) {
  return { username: u.username, displayName: u.displayName, role: u.role };
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

export function auditOut(e: AuditEvent) {
  return { id: e.id, at: iso(e.at), actor: e.actorUsername, action: e.action, subjectType: e.subjectType, subjectId: e.subjectId, detail: e.detail };
}

/** The only time a token is ever shown: only its hash is kept. */
export function newTokenOut(t: { id: number; token: string; username: string; name: string }) {
  return { id: t.id, token: t.token, username: t.username.trim().toLowerCase(), name: t.name };
}
