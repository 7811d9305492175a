export const ROLES = ['reporter', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const rank: Record<Role, number> = { reporter: 1, editor: 2, admin: 3 };

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function atLeast(role: Role, needed: Role): boolean {
  return rank[role] >= rank[needed];
}

export const roleNames: Record<Role, string> = { reporter: '记者', editor: '编辑', admin: '管理员' };

/** Who is acting: an account signed in by session or token. */
export interface Actor {
  id: number;
  username: string;
  displayName: string;
  role: Role;
}
