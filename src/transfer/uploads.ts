import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Images of the old site found in a copy of its `wp-content/uploads` folder (`--uploads DIR`). An address on the old
 * site (its own host, or WordPress.com's `<site>.files.wordpress.com`) names a file by its path after
 * `/wp-content/uploads/` (or the whole path on files.wordpress.com); resized variants (`?w=604`, `-300x200.jpg`) name
 * their original. Every path is resolved inside DIR and checked there after symlinks: nothing outside it is read.
 */

const IMAGE_EXT = /\.(jpe?g|png|gif|webp|avif)$/i;

const hostOf = (url: string) => {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
};

/** Whether an address is one of the old site's images (and so may be in its uploads folder). */
export function isOldSiteImage(url: string, siteLink: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  if (!IMAGE_EXT.test(decodeSafe(u.pathname))) return false;
  const host = u.host.toLowerCase();
  const site = hostOf(siteLink);
  return host === site || host.endsWith('.files.wordpress.com') || (site !== undefined && host === `www.${site}`) || `www.${host}` === site;
}

function decodeSafe(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** The relative paths under the uploads folder an address may name, the original first. */
export function uploadCandidates(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const pathname = decodeSafe(u.pathname);
  const marker = pathname.indexOf('/wp-content/uploads/');
  const rel = marker >= 0 ? pathname.slice(marker + '/wp-content/uploads/'.length) : u.host.endsWith('.files.wordpress.com') ? pathname.slice(1) : '';
  if (rel === '' || rel.includes('\0')) return [];
  const original = rel.replace(/-\d{1,5}x\d{1,5}(\.[a-z0-9]+)$/i, '$1').replace(/-scaled(\.[a-z0-9]+)$/i, '$1');
  return original === rel ? [rel] : [original, rel];
}

/** Drops ?w=604 and the like: the address of the original on the old site. */
export function originalAddress(url: string): string {
  try {
    const u = new URL(url);
    u.search = '';
    u.hash = '';
    return u.href;
  } catch {
    return url;
  }
}

export class UploadsFolder {
  private rootReal?: string;
  constructor(readonly root: string) {}

  private async real(): Promise<string> {
    this.rootReal ??= await realpath(path.resolve(this.root));
    return this.rootReal;
  }

  /** The file an address names in the folder, or undefined (not there, not a file, or outside the folder). */
  async find(url: string): Promise<string | undefined> {
    const root = await this.real();
    for (const rel of uploadCandidates(url)) {
      const full = path.resolve(root, rel);
      if (!full.startsWith(root + path.sep)) continue;
      const resolved = await realpath(full).catch(() => undefined);
      if (!resolved?.startsWith(root + path.sep)) continue;
      const info = await stat(resolved).catch(() => undefined);
      if (info?.isFile()) return resolved;
    }
    return undefined;
  }
}
