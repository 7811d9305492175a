import { useState } from 'preact/hooks';
import type { AuditEvent, AuditGroup, Paged } from '../../shared/api.ts';
import { api } from '../api.ts';
import { auditActor, auditPredicate, GROUP_LABELS, type Piece } from '../audit-sentences.ts';
import { formatDayTime, fromLocalInput } from '../format.ts';
import { Notice, useLoad } from '../ui.tsx';

const PAGE = 50;

interface Filters {
  actor: string;
  action: AuditGroup | '';
  article: string;
  from: string;
  to: string;
}

const NONE: Filters = { actor: '', action: '', article: '', from: '', to: '' };

/** The query of a filter set: dates are whole days in the site's time zone, `to` included. */
function query(f: Filters, before: number | undefined): string {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (before) q.set('before', String(before));
  if (f.actor.trim()) q.set('actor', f.actor.trim());
  if (f.action) q.set('action', f.action);
  if (f.article.trim()) q.set('article', f.article.trim());
  if (f.from) q.set('from', new Date(fromLocalInput(`${f.from}T00:00`)).toISOString());
  if (f.to) q.set('to', new Date(fromLocalInput(`${f.to}T00:00`) + 24 * 3600_000).toISOString());
  return q.toString();
}

function Sentence({ e }: { e: AuditEvent }) {
  const piece = (p: Piece) => (typeof p === 'string' ? p : p.href ? <a href={p.href}>{p.text}</a> : p.text);
  return (
    <>
      <strong class="audit-who">{auditActor(e)}</strong> 于 <time dateTime={e.at ?? undefined}>{formatDayTime(e.at!)}</time> {auditPredicate(e).map(piece)}
    </>
  );
}

export function AuditPage() {
  const [draft, setDraft] = useState<Filters>(NONE);
  const [filters, setFilters] = useState<Filters>(NONE);
  const [before, setBefore] = useState<number[]>([]);
  const cursor = before[before.length - 1];
  const { data, error } = useLoad(() => api<Paged<AuditEvent>>('GET', `/audit?${query(filters, cursor)}`), [cursor, filters]);
  const field = (name: keyof Filters) => ({
    value: draft[name],
    onInput: (e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value }),
  });
  const apply = (f: Filters) => {
    setFilters(f);
    setBefore([]);
  };
  return (
    <div class="page">
      <h1>审计日志</h1>
      <form
        class="card inline-form audit-filters"
        aria-label="筛选审计日志"
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        <label class="field">
          <span>操作人（用户名）</span>
          <input name="actor" maxLength={64} {...field('actor')} />
        </label>
        <label class="field">
          <span>操作</span>
          <select name="action" value={draft.action} onChange={(e) => setDraft({ ...draft, action: (e.target as HTMLSelectElement).value as AuditGroup | '' })}>
            <option value="">全部</option>
            {Object.entries(GROUP_LABELS).map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>稿件（编号或标题）</span>
          <input name="article" maxLength={200} {...field('article')} />
        </label>
        <label class="field">
          <span>从</span>
          <input name="from" type="date" {...field('from')} />
        </label>
        <label class="field">
          <span>到</span>
          <input name="to" type="date" {...field('to')} />
        </label>
        <button type="submit" class="primary">
          筛选
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(NONE);
            apply(NONE);
          }}
        >
          清除
        </button>
      </form>
      <Notice>{error}</Notice>
      {data ? (
        <>
          {data.items.length === 0 ? <p class="muted">没有符合条件的记录。</p> : null}
          <ol class="audit-log">
            {data.items.map((e) => (
              <li data-audit-id={e.id} data-action={e.action}>
                <Sentence e={e} />
              </li>
            ))}
          </ol>
          <div class="row">
            {before.length > 0 ? (
              <button type="button" onClick={() => setBefore((b) => b.slice(0, -1))}>
                上一页
              </button>
            ) : null}
            {data.next ? (
              <button type="button" onClick={() => setBefore((b) => [...b, data.next!])}>
                下一页
              </button>
            ) : null}
          </div>
        </>
      ) : (
        <p class="muted">正在加载…</p>
      )}
    </div>
  );
}
