import { announce, type Ctx } from '../context.ts';
import { forbidden, invalid, notFound } from '../errors.ts';
import { authorize } from '../policy.ts';
import { limitedAddress } from '../reactions/stuffing.ts';
import { lineField } from '../text.ts';
import { actingNow, admitAttempt, checkPassword, failedAttempt, hashPassword, verifyPassword, writeActing } from './service.ts';
import { isRole, type Actor, type Role } from './roles.ts';
import type { Account, TokenListing } from './account.ts';
import type { Store } from '../store.ts';

/** The newsroom's people: everyone signed in sees who is active (for bylines and the dashboard); admins see all. */
export async function listAccounts(ctx: Ctx, actor: Actor): Promise<Account[]> {
  authorize(actor, 'account.list');
  const all = await ctx.store.accounts.list();
  return actor.role === 'admin' ? all : all.filter((a) => a.disabledAt === null);
}

async function target(store: Store, username: string): Promise<Account> {
  const account = await store.accounts.findByUsername(username.trim().toLowerCase());
  if (!account) throw notFound(`User ${username}`);
  return account;
}

export interface AccountUpdate {
  role?: string;
  disabled?: boolean;
  displayName?: string;
}

/** An admin changes a role, a name, or disables an account (which ends its sessions at once). */
export async function updateAccount(ctx: Ctx, actor: Actor, username: string, changes: AccountUpdate): Promise<Account> {
  authorize(actor, 'account.manage');
  if (changes.role !== undefined && !isRole(changes.role)) throw invalid('role must be reporter, editor or admin', 'role', 'invalid_role');
  const displayName = changes.displayName === undefined ? undefined : lineField(changes.displayName, 'displayName', 50, true);
  return ctx.store.transaction(async (store) => {
    // The actor's role as it is now, not as it was when the request came in: two admins taking away each other's
    // role or account at once would otherwise both succeed and leave the newsroom without an admin.
    await store.accounts.lockRoles();
    authorize(await actingNow(store, actor), 'account.manage');
    const account = await target(store, username);
    // An admin cannot lock themselves out; another admin must do it.
    if (account.id === actor.id && (changes.disabled === true || (changes.role !== undefined && changes.role !== 'admin'))) {
      throw forbidden('You cannot disable your own account or give up your own admin role');
    }
    const now = ctx.clock.now();
    const disabledAt = changes.disabled === undefined ? undefined : changes.disabled ? (account.disabledAt ?? now) : null;
    await store.accounts.update(account.id, { role: changes.role as Role | undefined, displayName, disabledAt }, now);
    if (changes.disabled === true) await store.accounts.deleteSessionsOf(account.id);
    const detail: Record<string, unknown> = { username: account.username };
    if (changes.role !== undefined && changes.role !== account.role) detail.role = { from: account.role, to: changes.role };
    if (changes.disabled !== undefined) detail.disabled = changes.disabled;
    if (displayName !== undefined) detail.displayName = displayName;
    announce(ctx, store, { kind: 'account', id: account.id });
    await store.history.record({ at: now, actorId: actor.id, action: 'account.update', subjectType: 'account', subjectId: account.id, detail });
    return (await store.accounts.findById(account.id))!;
  });
}

export interface PasswordChange {
  username: string;
  password: string;
  /** Required when people change their own password: a stolen session alone must not take over the account. */
  currentPassword?: string;
  /** The caller's own session survives their own change; every other session of the account ends. */
  sessionId?: string;
  address: string;
}

/** A person changes their own password, or an admin resets someone's; either way the account's other sessions end. */
export async function changePassword(ctx: Ctx, actor: Actor, input: PasswordChange): Promise<void> {
  const account = await target(ctx.store, input.username);
  const own = account.id === actor.id;
  if (!own) authorize(actor, 'account.manage');
  checkPassword(input.password);
  const now = ctx.clock.now();
  if (own) {
    // Guessing the current password through this door is throttled like a login.
    const address = limitedAddress(input.address);
    await admitAttempt(ctx, account.username, address, now);
    if (!(await verifyPassword(account, input.currentPassword ?? ''))) {
      await failedAttempt(ctx, account.username, now);
      throw invalid('当前密码不正确 (the current password is wrong)', 'currentPassword', 'wrong_password');
    }
    await ctx.store.accounts.clearLoginFailures(account.username, address);
  }
  const passwordHash = await hashPassword(input.password);
  await writeActing(ctx.store, actor, async (store, acting) => {
    if (!own) authorize(acting, 'account.manage');
    await store.accounts.update(account.id, { passwordHash }, now);
    await store.accounts.deleteSessionsOf(account.id, own ? input.sessionId : undefined);
    await store.history.record({
      at: now,
      actorId: actor.id,
      action: own ? 'account.password' : 'account.password_reset',
      subjectType: 'account',
      subjectId: account.id,
      detail: { username: account.username },
    });
  });
}

export async function listApiTokens(ctx: Ctx, actor: Actor): Promise<TokenListing[]> {
  authorize(actor, 'token.manage');
  return ctx.store.accounts.listTokens();
}

/** Revokes a token at once; revoking it again changes nothing. */
export async function revokeApiToken(ctx: Ctx, actor: Actor, id: number): Promise<void> {
  authorize(actor, 'token.manage');
  await writeActing(ctx.store, actor, async (store, acting) => {
    authorize(acting, 'token.manage');
    if (!(await store.accounts.tokenExists(id))) throw notFound(`Token ${id}`);
    const now = ctx.clock.now();
    if (await store.accounts.revokeToken(id, now)) {
      await store.history.record({ at: now, actorId: actor.id, action: 'token.revoke', subjectType: 'token', subjectId: id });
    }
  });
}
