import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { MemoryHitCounter } from '../../src/domain/reactions/hits.ts';
import { DEFAULT_MOODS, parseMoods } from '../../src/domain/reactions/moods.ts';
import { addressPrefix, isBot, windowStart } from '../../src/domain/reactions/service.ts';
import { signReader, verifiedReader } from '../../src/web/reader.ts';

const dir = () => mkdtempSync(path.join(os.tmpdir(), 'inkstone-config-'));

describe('mood configuration', () => {
  it('defaults to 开心/难过/点赞/飘过 and a cap of 20', () => {
    const c = loadConfig({ INKSTONE_DATA_DIR: dir() });
    expect(c.moods).toEqual(DEFAULT_MOODS);
    expect(DEFAULT_MOODS.map((m) => `${m.key}:${m.label}`).join(',')).toBe('happy:开心,sad:难过,like:点赞,pass:飘过');
    expect(c.reactionCapPerHour).toBe(20);
    expect(c.reactionBurstPerMinute).toBe(30);
  });

  it('reads INKSTONE_MOODS and INKSTONE_REACTION_CAP', () => {
    const c = loadConfig({ INKSTONE_DATA_DIR: dir(), INKSTONE_MOODS: ' happy:开心, angry :愤怒 ', INKSTONE_REACTION_CAP: '5' });
    expect(c.moods).toEqual([
      { key: 'happy', label: '开心' },
      { key: 'angry', label: '愤怒' },
    ]);
    expect(c.reactionCapPerHour).toBe(5);
    expect(loadConfig({ INKSTONE_DATA_DIR: dir(), INKSTONE_REACTION_CAP: '0' }).reactionCapPerHour).toBe(0);
  });

  it('stops the start on a bad mood list or cap', () => {
    for (const bad of ['happy', 'Happy:开心', 'happy:开心,happy:高兴', 'happy:', ':开心', 'a b:开心', 'happy:这是一个过长的心情标签名字']) {
      expect(() => loadConfig({ INKSTONE_DATA_DIR: dir(), INKSTONE_MOODS: bad }), bad).toThrow(ConfigError);
    }
    for (const bad of ['-1', 'many', '1.5']) {
      expect(() => loadConfig({ INKSTONE_DATA_DIR: dir(), INKSTONE_REACTION_CAP: bad }), bad).toThrow(/INKSTONE_REACTION_CAP/);
    }
    expect(parseMoods('')).toEqual(DEFAULT_MOODS);
  });
});

describe('reader cookie', () => {
  const secret = 'unit-secret-0123456789';
  it('accepts only its own signature', () => {
    const value = signReader(secret, 'abcdefghijklmnopqrstuv');
    expect(verifiedReader(secret, value)).toBe('abcdefghijklmnopqrstuv');
    expect(verifiedReader('other-secret-0123456789', value)).toBeNull();
    expect(verifiedReader(secret, value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A'))).toBeNull();
    expect(verifiedReader(secret, 'abcdefghijklmnopqrstuv')).toBeNull();
    expect(verifiedReader(secret, undefined)).toBeNull();
    // Ids outside the alphabet are refused before any signature is computed.
    expect(verifiedReader(secret, signReader(secret, 'short'))).toBeNull();
  });
});

describe('address prefixes, bots and windows', () => {
  it('groups IPv4 by /24 and IPv6 by /64', () => {
    expect(addressPrefix('203.0.113.77')).toBe('203.0.113.0/24');
    expect(addressPrefix('::ffff:203.0.113.5')).toBe('203.0.113.0/24');
    expect(addressPrefix('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressPrefix('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressPrefix('2001:DB8:0:0::ffff')).toBe(addressPrefix('2001:db8::1'));
  });

  it('knows crawlers and scripts from readers', () => {
    for (const ua of [
      'Mozilla/5.0 (compatible; Googlebot/2.1)',
      'Mozilla/5.0 (compatible; bingbot/2.0)',
      'Sogou web spider/4.0',
      'Mozilla/5.0 (compatible; Bytespider)',
      'python-requests/2.31',
      'curl/8.5.0',
      '',
      undefined,
    ]) {
      expect(isBot(ua), String(ua)).toBe(true);
    }
    for (const ua of [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36',
      'Mozilla/5.0 (Linux; Android 13; CUBOT_X30) Chrome/120.0 Mobile',
    ]) {
      expect(isBot(ua), ua).toBe(false);
    }
  });

  it('windows are whole hours ending with the current one', () => {
    const now = Date.UTC(2026, 10, 29, 10, 30);
    expect(windowStart(now, '24h')).toBe(Date.UTC(2026, 10, 28, 11, 0));
    expect(windowStart(now, '7d')).toBe(Date.UTC(2026, 10, 22, 11, 0));
  });

  it('counts hits per fixed window', async () => {
    const hits = new MemoryHitCounter();
    const t = Date.UTC(2026, 10, 29, 10, 59, 59);
    expect(await hits.hit('k', 3_600_000, t)).toBe(1);
    expect(await hits.hit('k', 3_600_000, t)).toBe(2);
    expect(await hits.hit('k', 3_600_000, t + 1000)).toBe(1);
    expect(await hits.hit('other', 3_600_000, t)).toBe(1);
  });
});
