export interface Channel {
  id: number;
  slug: string;
  name: string;
  parentId: number | null;
  path: string;
  position: number;
  description: string;
}

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** A channel path as people type it (" /difang/yaowen/ ") in the stored form ("difang/yaowen"). */
export function normalizeChannelPath(path: string): string {
  return path.trim().replace(/^\/+|\/+$/g, '');
}

/** Ancestors first, the channel itself last: what breadcrumbs show. */
export function lineage(channels: readonly Channel[], channel: Channel): Channel[] {
  const byId = new Map(channels.map((c) => [c.id, c]));
  const chain: Channel[] = [];
  for (let c: Channel | undefined = channel; c; c = c.parentId === null ? undefined : byId.get(c.parentId)) {
    chain.unshift(c);
    if (chain.length > 32) break; // a cycle cannot be stored, but never loop forever
  }
  return chain;
}

export type NewChannel = Omit<Channel, 'id'> & { createdAt: number };

export type ChannelChanges = Partial<Pick<Channel, 'name' | 'parentId' | 'path' | 'position'>>;
