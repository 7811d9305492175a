import type { Role } from './roles.ts';

/** A newsroom account; the password only as its argon2id hash. */
export interface Account {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  passwordHash: string;
  disabledAt: number | null;
  createdAt: number;
}

export interface NewAccount {
  username: string;
  displayName: string;
  role: Role;
  passwordHash: string;
  at: number;
}

/** What an update may change; fields left undefined stay as they are. */
export interface AccountChanges {
  role?: Role;
  displayName?: string;
  disabledAt?: number | null;
  passwordHash?: string;
}

/** A signed-in browser: the cookie carries the id, every change it makes also the CSRF token. */
export interface SessionRecord {
  id: string;
  accountId: number;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

/** An API token as stored: never the token itself, only its hash (which is never read back). */
export interface TokenRecord {
  id: number;
  accountId: number;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface TokenListing extends TokenRecord {
  username: string;
}

export interface NewToken {
  accountId: number;
  name: string;
  tokenHash: string;
  at: number;
}
