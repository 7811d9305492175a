import { useState } from 'preact/hooks';
import type { HeldPollBallots, NewsroomPoll, PollResultsOut, User } from '../../shared/api.ts';
import { api, creator, explain } from '../api.ts';
import { formatTime, fromLocalInput, toLocalInput } from '../format.ts';
import { navigate } from '../router.ts';
import { Notice, useLoad } from '../ui.tsx';

const isClosed = (p: NewsroomPoll, now = Date.now()) => p.closedAt !== null || (p.closesAt !== null && Date.parse(p.closesAt) <= now);

function PollState({ poll }: { poll: NewsroomPoll }) {
  return isClosed(poll) ? <span class="badge badge-unpublished">已截止</span> : <span class="badge badge-published">进行中</span>;
}

/** 投票: every poll, newest first, with its state, readers and held ballots. */
export function PollsPage({ user }: { user: User }) {
  const [before, setBefore] = useState<number | undefined>(undefined);
  const { data, error } = useLoad(
    () => api<{ items: NewsroomPoll[]; next: number | null }>('GET', `/polls?limit=30${before ? `&before=${before}` : ''}`),
    [before],
  );
  const held = useLoad(
    () => (user.abilities.reviewPolls ? api<{ items: HeldPollBallots[] }>('GET', '/polls/held').then((r) => r.items) : Promise.resolve([])),
    [],
  );
  return (
    <div class="page polls-page">
      <div class="row">
        <h1>投票</h1>
        <a class="button primary" href="/admin/polls/new">
          新建投票
        </a>
      </div>
      <p class="muted">
        读者投票（云投）：可嵌入稿件正文（编辑器中的“投票”按钮）、专题页，也可单独以 /p/编号
        发布。每位读者每个投票只能投一次，与心情投票一样防刷票；同一网络短时间内集中投票会被拦下，等编辑审核。
      </p>
      <Notice>{error}</Notice>
      {held.data && held.data.length > 0 ? (
        <Notice kind="info">有 {held.data.reduce((n, g) => n + g.ballots, 0)} 张选票被拦下待审核，请打开相应投票处理。</Notice>
      ) : null}
      <table class="table polls-table">
        <thead>
          <tr>
            <th scope="col">问题</th>
            <th scope="col">状态</th>
            <th scope="col">参与人数</th>
            <th scope="col">待审核</th>
            <th scope="col">截止时间</th>
          </tr>
        </thead>
        <tbody>
          {(data?.items ?? []).map((p) => (
            <tr data-poll-row={p.id}>
              <td>
                <a href={`/admin/polls/${p.id}`}>{p.question}</a>
                <span class="muted small-text"> #{p.id}</span>
              </td>
              <td>
                <PollState poll={p} />
              </td>
              <td>{p.counts.voters}</td>
              <td>{p.held || '—'}</td>
              <td>{p.closedAt ? formatTime(p.closedAt) : p.closesAt ? formatTime(p.closesAt) : '不限'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.items.length === 0 ? <p class="muted">还没有投票。</p> : null}
      {data?.next ? (
        <button type="button" onClick={() => setBefore(data.next ?? undefined)}>
          更早的投票
        </button>
      ) : null}
    </div>
  );
}

interface FormState {
  question: string;
  options: string[];
  choice: 'single' | 'multiple';
  results: 'always' | 'after_vote';
  closesAt: string;
  article: string;
  topic: string;
}

const blank: FormState = { question: '', options: ['', ''], choice: 'single', results: 'after_vote', closesAt: '', article: '', topic: '' };

function formOf(p: NewsroomPoll): FormState {
  return {
    question: p.question,
    options: [...p.options],
    choice: p.choice,
    results: p.results,
    closesAt: p.closesAt ? toLocalInput(Date.parse(p.closesAt)) : '',
    article: p.article ? String(p.article) : '',
    topic: p.topic ? String(p.topic) : '',
  };
}

/** The question, 2–10 options and the rules of a poll; saves a new one or the changes to one. */
function PollForm({ poll, onSaved }: { poll?: NewsroomPoll; onSaved: (p: NewsroomPoll) => void }) {
  const [f, setF] = useState<FormState>(poll ? formOf(poll) : blank);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [createPoll] = useState(() => creator<NewsroomPoll>('/polls'));
  const voted = (poll?.counts.voters ?? 0) + (poll?.held ?? 0) > 0;
  const set = (patch: Partial<FormState>) => setF({ ...f, ...patch });
  const setOption = (i: number, value: string) => set({ options: f.options.map((o, j) => (j === i ? value : o)) });
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFailure(null);
    const closes = f.closesAt ? fromLocalInput(f.closesAt) : null;
    const body = {
      question: f.question,
      options: f.options,
      choice: f.choice,
      results: f.results,
      closesAt: closes === null ? null : new Date(closes).toISOString(),
      article: f.article.trim() ? Number(f.article.replace(/\D/g, '')) : null,
      topic: f.topic.trim() ? Number(f.topic.replace(/\D/g, '')) : null,
    };
    try {
      onSaved(poll ? await api<NewsroomPoll>('PATCH', `/polls/${poll.id}`, body) : await createPoll(body));
    } catch (err) {
      setFailure(explain(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card poll-form" onSubmit={submit}>
      <Notice>{failure}</Notice>
      <label class="field">
        <span>问题</span>
        <input name="question" required maxLength={200} value={f.question} onInput={(e) => set({ question: (e.target as HTMLInputElement).value })} />
      </label>
      <fieldset class="field">
        <legend>选项（2–10 个）{voted ? '：已有读者投票，只能修改文字' : ''}</legend>
        {f.options.map((o, i) => (
          <div class="row">
            <input
              name={`option-${i}`}
              aria-label={`选项 ${i + 1}`}
              required
              maxLength={60}
              value={o}
              onInput={(e) => setOption(i, (e.target as HTMLInputElement).value)}
            />
            {!voted && f.options.length > 2 ? (
              <button type="button" class="small" aria-label={`删除选项 ${i + 1}`} onClick={() => set({ options: f.options.filter((_, j) => j !== i) })}>
                删除
              </button>
            ) : null}
          </div>
        ))}
        {!voted && f.options.length < 10 ? (
          <button type="button" class="small" onClick={() => set({ options: [...f.options, ''] })}>
            添加选项
          </button>
        ) : null}
      </fieldset>
      <div class="row">
        <label class="field">
          <span>单选/多选</span>
          <select
            name="choice"
            disabled={voted}
            value={f.choice}
            onChange={(e) => set({ choice: (e.target as HTMLSelectElement).value as FormState['choice'] })}
          >
            <option value="single">单选</option>
            <option value="multiple">多选</option>
          </select>
        </label>
        <label class="field">
          <span>结果显示</span>
          <select name="results" value={f.results} onChange={(e) => set({ results: (e.target as HTMLSelectElement).value as FormState['results'] })}>
            <option value="after_vote">投票后显示</option>
            <option value="always">投票前即显示</option>
          </select>
        </label>
        <label class="field">
          <span>截止时间（北京时间，留空为不限）</span>
          <input name="closesAt" type="datetime-local" value={f.closesAt} onInput={(e) => set({ closesAt: (e.target as HTMLInputElement).value })} />
        </label>
      </div>
      <div class="row">
        <label class="field">
          <span>所属稿件编号（记者只能为自己的稿件建投票）</span>
          <input name="article" inputMode="numeric" value={f.article} onInput={(e) => set({ article: (e.target as HTMLInputElement).value })} />
        </label>
        <label class="field">
          <span>显示在专题（专题编号）</span>
          <input name="topic" inputMode="numeric" value={f.topic} onInput={(e) => set({ topic: (e.target as HTMLInputElement).value })} />
        </label>
      </div>
      <button type="submit" class="primary" disabled={busy}>
        {poll ? '保存修改' : '创建投票'}
      </button>
    </form>
  );
}

export function NewPollPage() {
  return (
    <div class="page poll-page">
      <h1>新建投票</h1>
      <PollForm onSaved={(p) => navigate(`/admin/polls/${p.id}`)} />
    </div>
  );
}

const percent = (n: number, of: number) => (of > 0 ? Math.round((n / of) * 100) : 0);

/** One poll: its results (now and by the hour), held ballots, CSV export, and its form. */
export function PollPage({ id, user }: { id: number; user: User }) {
  const { data, error, reload } = useLoad(() => api<PollResultsOut>('GET', `/polls/${id}/results`), [id]);
  const held = useLoad(
    () =>
      user.abilities.reviewPolls
        ? api<{ items: HeldPollBallots[] }>('GET', '/polls/held').then((r) => r.items.filter((g) => g.poll === id))
        : Promise.resolve([]),
    [id],
  );
  const [message, setMessage] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const act = async (run: () => Promise<unknown>, done: string) => {
    try {
      await run();
      setMessage(done);
      setFailure(null);
      reload();
      held.reload();
    } catch (err) {
      setMessage(null);
      setFailure(explain(err));
    }
  };
  if (!data) {
    return (
      <div class="page">
        <Notice>{error}</Notice>
      </div>
    );
  }
  const p = data;
  return (
    <div class="page poll-page" data-poll-page={p.id}>
      <div class="row">
        <h1>{p.question}</h1>
        <PollState poll={p} />
      </div>
      <p class="muted">
        #{p.id} · {p.choice === 'multiple' ? '多选' : '单选'} · {p.results === 'always' ? '投票前即显示结果' : '投票后显示结果'} · 读者页面{' '}
        <a href={p.url} target="_blank" rel="noopener">
          {p.url}
        </a>{' '}
        · 嵌入稿件：在编辑器中点“投票”，填编号 {p.id}
      </p>
      <Notice kind="ok">{message}</Notice>
      <Notice>{failure ?? error}</Notice>
      <section class="card" aria-labelledby="poll-results-title">
        <h2 id="poll-results-title">结果：{p.counts.voters} 人参与</h2>
        <ol class="poll-admin-results">
          {p.options.map((o, i) => (
            <li>
              <span>{o}</span> <progress max={Math.max(1, p.counts.voters)} value={p.counts.votes[i] ?? 0} aria-hidden="true" />{' '}
              <span class="muted">
                {p.counts.votes[i] ?? 0} 票（{percent(p.counts.votes[i] ?? 0, p.counts.voters)}%）
              </span>
            </li>
          ))}
        </ol>
        <div class="row">
          <a class="button" href={`/api/v1/polls/${p.id}/ballots.csv`} download={`poll-${p.id}.csv`}>
            导出 CSV
          </a>
          {p.abilities.close && !isClosed(p) ? (
            <button
              type="button"
              class="danger"
              onClick={() => confirm('现在截止这个投票？截止后读者不能再投票。') && void act(() => api('POST', `/polls/${p.id}/close`), '投票已截止。')}
            >
              立即截止
            </button>
          ) : null}
        </div>
      </section>
      {held.data && held.data.length > 0 ? (
        <section class="card" aria-labelledby="poll-held-title">
          <h2 id="poll-held-title">被拦下的选票</h2>
          <p class="muted">同一网络短时间内集中投票，选票暂未计入。确认是真实读者（如单位、学校集体参与）就放行，否则作废。</p>
          <ul>
            {held.data.map((g) => (
              <li class="row" data-held={g.prefix}>
                <span>
                  {g.ballots} 张（{formatTime(g.firstAt)} – {formatTime(g.lastAt)}）
                </span>
                <button
                  type="button"
                  class="small"
                  onClick={() => void act(() => api('POST', `/polls/${p.id}/held`, { decision: 'release', prefix: g.prefix }), '已放行。')}
                >
                  放行
                </button>
                <button
                  type="button"
                  class="small danger"
                  onClick={() => void act(() => api('POST', `/polls/${p.id}/held`, { decision: 'discard', prefix: g.prefix }), '已作废。')}
                >
                  作废
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section class="card" aria-labelledby="poll-hours-title">
        <h2 id="poll-hours-title">按小时统计（北京时间）</h2>
        {p.hours.length === 0 ? (
          <p class="muted">还没有计入的选票。</p>
        ) : (
          <table class="table poll-hours">
            <thead>
              <tr>
                <th scope="col">时段</th>
                <th scope="col">人数</th>
                {p.options.map((o) => (
                  <th scope="col">{o}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {p.hours.map((h) => (
                <tr>
                  <td>{formatTime(h.hour)}</td>
                  <td>
                    <progress max={Math.max(1, ...p.hours.map((x) => x.voters))} value={h.voters} aria-hidden="true" /> {h.voters}
                  </td>
                  {h.votes.map((n) => (
                    <td>{n}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {p.abilities.edit ? (
        <section aria-labelledby="poll-edit-title">
          <h2 id="poll-edit-title">修改投票</h2>
          <PollForm key={p.updatedAt ?? ''} poll={p} onSaved={() => (setMessage('已保存。'), setFailure(null), reload())} />
        </section>
      ) : null}
    </div>
  );
}
