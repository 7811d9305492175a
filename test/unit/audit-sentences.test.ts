import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditPredicate, auditSentence } from '../../src/admin/audit-sentences.ts';
import { AUDIT_GROUPS } from '../../src/domain/audit/actions.ts';
import type { AuditEvent } from '../../src/shared/api.ts';

const event = (over: Partial<AuditEvent>): AuditEvent => ({
  id: 1,
  at: '2026-12-02T02:31:00.000Z',
  actor: 'wangbin',
  actorName: '王斌',
  action: 'article.publish',
  subjectType: 'article',
  subjectId: '42',
  subjectName: '江城地铁12号线开通',
  detail: {},
  ...over,
});
const WHEN = '12月2日 10:31';

describe('the audit log as sentences', () => {
  it('reads as the newsroom speaks', () => {
    expect(auditSentence(event({}), WHEN)).toBe('王斌 于 12月2日 10:31 发布了《江城地铁12号线开通》');
    expect(auditSentence(event({ actorName: '李娜', action: 'article.submit' }), WHEN)).toBe('李娜 于 12月2日 10:31 把《江城地铁12号线开通》提交审核');
    expect(auditSentence(event({ action: 'article.return', detail: { note: '请补充票价' } }), WHEN)).toBe(
      '王斌 于 12月2日 10:31 把《江城地铁12号线开通》退回修改：“请补充票价”',
    );
    expect(
      auditSentence(
        event({
          actor: 'admin',
          actorName: '管理员',
          action: 'account.create',
          subjectType: 'account',
          subjectName: 'zhang',
          detail: { username: 'zhang', role: 'reporter' },
        }),
        WHEN,
      ),
    ).toBe('管理员 于 12月2日 10:31 新建了账号 zhang（记者）');
    // The scheduler and the server's own safeguards act as 系统.
    expect(auditSentence(event({ actor: null, actorName: null }), WHEN)).toBe('系统 于 12月2日 10:31 发布了《江城地铁12号线开通》');
    expect(auditSentence(event({ actorName: '', actor: 'wangbin' }), WHEN)).toMatch(/^wangbin 于/);
  });

  it('says what the trash and bulk actions did', () => {
    expect(auditSentence(event({ action: 'article.delete' }), WHEN)).toBe('王斌 于 12月2日 10:31 删除了《江城地铁12号线开通》（移入回收站）');
    expect(auditSentence(event({ action: 'article.delete', detail: { bulk: true } }), WHEN)).toContain('批量删除了《');
    expect(auditSentence(event({ action: 'article.undelete' }), WHEN)).toContain('从回收站恢复了《');
    expect(auditSentence(event({ action: 'article.purge', subjectName: null, subjectId: '7' }), WHEN)).toBe('王斌 于 12月2日 10:31 永久清除了稿件 #7');
    expect(auditSentence(event({ action: 'article.publish', detail: { bulk: true } }), WHEN)).toContain('批量发布了《');
    expect(auditSentence(event({ action: 'article.move', detail: { bulk: true, channel: 'difang/yaowen' } }), WHEN)).toBe(
      '王斌 于 12月2日 10:31 批量把《江城地铁12号线开通》移到频道 difang/yaowen',
    );
    expect(auditSentence(event({ action: 'article.tag', detail: { bulk: true, tag: '地铁' } }), WHEN)).toContain('批量给《江城地铁12号线开通》加上标签“地铁”');
  });

  it('links the article it names', () => {
    expect(auditPredicate(event({}))).toEqual(['发布了', { text: '《江城地铁12号线开通》', href: '/admin/articles/42' }]);
  });

  it('shows an action it does not know in plain words instead of hiding it', () => {
    expect(auditSentence(event({ action: 'article.pin', detail: { bulk: true } }), WHEN)).toBe(
      '王斌 于 12月2日 10:31 执行了操作 article.pin（批量），对象：《江城地铁12号线开通》',
    );
    expect(auditSentence(event({ action: 'widget.close', subjectType: 'widget', subjectId: '3' }), WHEN)).toBe(
      '王斌 于 12月2日 10:31 执行了操作 widget.close，对象：widget 3',
    );
  });

  it('names polls by their question, linked to their page', () => {
    const e = event({ action: 'poll.close', subjectType: 'poll', subjectId: '3', subjectName: null, detail: { question: '您支持吗？' } });
    expect(auditSentence(e, WHEN)).toBe('王斌 于 12月2日 10:31 截止了投票“您支持吗？”');
  });

  it('has a sentence and a group for every action the code records', () => {
    const root = path.resolve(import.meta.dirname, '../../src');
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? files(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : [],
      );
    const recorded = new Set<string>();
    for (const file of files(root)) {
      const source = readFileSync(file, 'utf8');
      if (!source.includes('history.record(') && !source.includes('keepRevision(')) continue;
      for (const m of source.matchAll(/action: (?:\w+ \? )?'([a-z_]+\.[a-z_]+)'(?: : '([a-z_]+\.[a-z_]+)')?/g)) {
        recorded.add(m[1]!);
        if (m[2]) recorded.add(m[2]);
      }
      // article.${action}: the article workflow's steps, named where keepRevision is called and by transition().
      if (source.includes('action: `article.$' + '{action}`')) {
        for (const m of source.matchAll(/keepRevision\(store, \w+, actor, '([a-z]+)'/g)) recorded.add(`article.${m[1]}`);
        for (const m of source.matchAll(/transition\(ctx, (?:actor|null), id, '([a-z]+)'/g)) recorded.add(`article.${m[1]}`);
        recorded.add('article.edit');
        recorded.add('article.restore');
      }
      // Bulk edits name their action beside the change (move, tag).
      if (file.endsWith('bulk.ts')) for (const m of source.matchAll(/action: '([a-z]+)'/g)) recorded.add(`article.${m[1]}`);
      if (source.includes('action: `reactions.$' + '{input.decision}`')) for (const d of ['release', 'discard']) recorded.add(`reactions.${d}`);
    }
    const grouped = new Set<string>(Object.values(AUDIT_GROUPS).flat());
    expect(recorded.size).toBeGreaterThan(25);
    expect([...recorded].filter((a) => !grouped.has(a))).toEqual([]);
    for (const action of grouped) expect(auditSentence(event({ action }), WHEN), action).not.toContain('执行了操作');
  });
});
