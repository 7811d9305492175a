import { useEffect, useState } from 'preact/hooks';
import type { ImportHistory, ImportRun, ImportRunReport } from '../../shared/api.ts';
import { ApiError, api, explain, type ImportChoice, uploadImport } from '../api.ts';
import { formatTime } from '../format.ts';
import { Notice, useLoad } from '../ui.tsx';

/** The server's default (INKSTONE_IMPORT_MAX_BYTES) until GET /imports says. */
const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
const POLL_MS = 1000;

const statusNames: Record<ImportRun['status'], string> = {
  running: '进行中',
  done: '完成',
  refused: '文件被拒绝',
  failed: '失败',
  interrupted: '中断',
};

const phaseNames: Record<ImportRun['progress']['phase'], string> = {
  reading: '检查文件',
  writing: '写入稿件',
  finished: '结束',
};

/** What the report's "not imported" kinds are called in the newsroom; a kind not listed is shown as the importer says. */
const skippedNames: Record<string, string> = {
  page: '页面',
  attachment: '附件',
  nav_menu_item: '菜单项',
  comment: '评论',
  trash: '原站回收站中的文章',
  duplicate: '文件中重复出现的文章',
  'refused body': '正文无法接受',
  'edited in the newsroom': '编辑部改过的稿件（未覆盖）',
  'deleted in the newsroom': '编辑部已删除的稿件',
  'status changed at the source': '原站改了状态的稿件（未跟随）',
  'imported meanwhile by another import': '同时被另一次导入写入',
  wp_block: '可复用区块',
  wp_navigation: '导航',
  wp_template: '模板',
  wp_template_part: '模板片段',
  wp_global_styles: '全局样式',
  custom_css: '自定义 CSS',
};

const megabytes = (n: number) => (n >= 1024 * 1024 ? `${+(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.ceil(n / 1024))} KB`);

/** The Chinese part of the importer's bilingual reasons ("malformed XML: … (XML 格式错误)"), else the whole. */
function chineseReason(reason: string): string {
  const m = /[(（]([^()（）]*[\u4e00-\u9fff][^()（）]*)[)）]\s*$/.exec(reason);
  return m ? m[1]! : reason;
}

/** Where and why a file was refused, in Chinese, with the importer's own words beside. */
function Refusal({ error }: { error: { message: string; line?: number; column?: number } }) {
  const where = error.line === undefined ? '' : `第 ${error.line} 行第 ${error.column ?? 1} 列：`;
  return (
    <div class="notice notice-error import-refusal" role="alert">
      <p>
        <strong>文件无法导入，没有写入任何内容。</strong>
        {where}
        {chineseReason(error.message)}
      </p>
      <p class="small-text muted">{error.message}</p>
    </div>
  );
}

/** Why an upload did not start a run, as a sentence (a refused file's place in it when the server names one). */
function startProblem(err: unknown): { message: string; line?: number; column?: number } | string {
  if (err instanceof ApiError) {
    if (err.code === 'import_refused') {
      const m = /^line (\d+), column (\d+): ([\s\S]*)$/.exec(err.message);
      return m ? { message: m[3]!, line: Number(m[1]), column: Number(m[2]) } : { message: err.message };
    }
    if (err.code === 'file_required') return '请选择要导入的文件';
    if (err.code === 'payload_too_large') return `文件太大：${err.message.replace('The file is larger than', '超过')}；更大的文件请用命令行导入`;
    if (err.code === 'import_running') return '已有一个导入正在进行，请等它完成后再开始（进度见下方）';
  }
  return explain(err);
}

function Progress({ run }: { run: ImportRun }) {
  const { phase, done, total, rate } = run.progress;
  const writing = phase === 'writing' && total;
  return (
    <div class="import-progress" aria-live="polite">
      <p>
        <strong>{phaseNames[phase]}</strong>
        {phase === 'reading' ? `：已读 ${done} 项` : ''}
        {phase === 'writing' ? `：${done}${total ? ` / ${total}` : ''} 篇` : ''}
        {rate > 0 ? `，每秒 ${rate} ${phase === 'reading' ? '项' : '篇'}` : ''}
      </p>
      {writing ? (
        <progress max={total} value={done}>
          {Math.round((100 * done) / total)}%
        </progress>
      ) : (
        <progress />
      )}
    </div>
  );
}

function Count({ label, n }: { label: string; n: number }) {
  return (
    <div class="import-count">
      <dt>{label}</dt>
      <dd>{n}</dd>
    </div>
  );
}

/** The importer's report, as the CLI prints it: counts first, then the lists. */
export function ReportView({ report }: { report: ImportRunReport }) {
  const skipped = Object.entries(report.skipped).sort((a, b) => b[1] - a[1]);
  const shortcodes = Object.entries(report.shortcodes);
  const warnings = report.warnings.length + report.moreWarnings;
  return (
    <section class="import-report" aria-label="导入报告">
      <p>
        {report.dryRun ? <strong>试运行，没有写入任何内容；以下是正式导入会得到的结果。</strong> : null}
        {report.format.toUpperCase()}，来源 {report.site || '未命名网站'}，共 {report.posts} 篇文章，用时 {report.seconds.toFixed(1)} 秒。
      </p>
      <dl class="import-counts">
        <Count label="导入" n={report.imported} />
        <Count label="更新" n={report.updated} />
        <Count label="未变" n={report.unchanged} />
        <Count label="新建频道" n={report.channelsCreated} />
        <Count label="新建账号" n={report.authorsCreated} />
        <Count label="旧地址跳转" n={report.redirects} />
      </dl>
      <h3>未导入（按类型）</h3>
      {skipped.length === 0 ? (
        <p class="muted">没有。</p>
      ) : (
        <ul class="import-skipped">
          {skipped.map(([kind, n]) => (
            <li key={kind}>
              {skippedNames[kind] ?? kind}：{n}
            </li>
          ))}
        </ul>
      )}
      <h3>图片</h3>
      <p>
        在图片文件夹中找到 {report.images.found} 张，缺失 {report.images.missing.length} 张
        {report.images.notLookedFor ? `，${report.images.notLookedFor} 张未查找（没有提供图片文件夹，正文中保留原站地址）` : ''}。
      </p>
      {report.images.missing.length > 0 ? (
        <details>
          <summary>缺失的图片</summary>
          <ul class="import-list">
            {report.images.missing.slice(0, 200).map((m) => (
              <li key={m}>{m}</li>
            ))}
            {report.images.missing.length > 200 ? <li>……还有 {report.images.missing.length - 200} 张</li> : null}
          </ul>
        </details>
      ) : null}
      {shortcodes.length > 0 ? (
        <p>
          丢弃的短代码：
          {shortcodes.map(([k, n]) => `[${k}] ×${n}`).join('，')}
        </p>
      ) : null}
      <h3>提示（{warnings}）</h3>
      {warnings === 0 ? (
        <p class="muted">没有。</p>
      ) : (
        <ul class="import-list import-warnings">
          {report.warnings.map((w, i) => (
            <li key={i}>
              <span class="import-post">
                原文 {w.postId || '?'}（第 {w.line} 行）
              </span>
              ：{w.message}
            </li>
          ))}
          {report.moreWarnings > 0 ? <li>……还有 {report.moreWarnings} 条</li> : null}
        </ul>
      )}
    </section>
  );
}

/**
 * Why a run ended without a report, and what it left: nothing for a dry run; else the batches it wrote, at least as
 * many posts as its last recorded progress (recorded after each batch commits; a killed process may have committed one more).
 */
function Interrupted({ run }: { run: ImportRun }) {
  const { phase, done, total } = run.progress;
  if (run.options.dryRun) return <Notice kind="info">试运行中断：服务器在检查过程中停止，没有写入任何内容；重新上传文件再试运行一次即可。</Notice>;
  return (
    <Notice kind="info">
      导入中断：服务器在导入过程中停止{phase === 'writing' && done > 0 ? `，中断前已处理至少 ${done}${total ? ` / ${total}` : ''} 篇稿件` : ''}
      。文件检查完之后，稿件按每批 500 篇写入，已写入的批次保留；重新上传同一文件再导入一次，会补上其余的稿件，已导入的不会重复。
    </Notice>
  );
}

/** One run: its state, progress while it runs, then its report or why it ended without one. */
function RunView({ run }: { run: ImportRun }) {
  return (
    <div class="card import-run" data-import-run={run.id} data-status={run.status}>
      <h2>
        {run.fileName} <span class={`import-status import-status-${run.status}`}>{statusNames[run.status]}</span>
      </h2>
      <p class="muted small-text">
        {megabytes(run.fileBytes)}，{run.by ? `${run.by.displayName}` : '已删除的账号'}于 {formatTime(run.startedAt)} 开始
        {run.finishedAt ? `，${formatTime(run.finishedAt)} 结束` : ''}
        {optionText(run.options)}
      </p>
      {run.status === 'running' ? <Progress run={run} /> : null}
      {run.status === 'refused' && run.error ? <Refusal error={run.error} /> : null}
      {run.status === 'failed' && run.error ? <Notice>导入失败：{run.error.message}</Notice> : null}
      {run.status === 'interrupted' ? <Interrupted run={run} /> : null}
      {run.report ? <ReportView report={run.report} /> : null}
    </div>
  );
}

function optionNames(o: ImportRun['options']): string {
  return [o.dryRun ? '试运行' : '', o.update ? '覆盖更新' : '', o.createAuthors ? '创建作者账号' : ''].filter(Boolean).join('、');
}

function optionText(o: ImportRun['options']): string {
  const names = optionNames(o);
  return names ? `；${names}` : '';
}

/** 导入 (admins): upload a WordPress export or a feed file, follow the run, read its report; the history below. */
export function ImportsPage() {
  const { data, error, reload } = useLoad(() => api<ImportHistory>('GET', '/imports'), []);
  const [file, setFile] = useState<File | null>(null);
  const [choice, setChoice] = useState<ImportChoice>({ dryRun: false, update: false, createAuthors: false });
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<ReturnType<typeof startProblem> | null>(null);
  const [shown, setShown] = useState<ImportRun | null>(null);
  const maxBytes = data?.limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const running = data?.items.find((r) => r.status === 'running');
  // The run on screen: the one just started or opened from the history, else whichever is under way.
  const current = shown ?? running ?? null;
  // Under way: as the history says, or the run just started (its POST answers before the history is read again).
  const underWay = running !== undefined || current?.status === 'running';

  // While a run is under way, its progress every second; the history once it ends.
  useEffect(() => {
    if (current?.status !== 'running') return;
    let live = true;
    const timer = setTimeout(() => {
      api<ImportRun>('GET', `/imports/${current.id}`).then(
        (r) => {
          if (!live) return;
          setShown(r);
          if (r.status !== 'running') reload();
        },
        () => live && setShown({ ...current }),
      );
    }, POLL_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [current]);

  const start = async (e: Event) => {
    e.preventDefault();
    if (!file) {
      setProblem('请选择要导入的文件');
      return;
    }
    setSending(true);
    setProblem(null);
    setShown(null);
    try {
      const run = await uploadImport<ImportRun>(file, choice, maxBytes);
      setShown(run);
      reload();
    } catch (err) {
      setProblem(startProblem(err));
      reload();
    } finally {
      setSending(false);
    }
  };
  const option = (name: keyof ImportChoice, label: string, hint: string) => (
    <label class="check">
      <input type="checkbox" name={name} checked={choice[name]} onChange={(e) => setChoice({ ...choice, [name]: (e.target as HTMLInputElement).checked })} />
      <span>
        {label}
        <span class="muted small-text"> {hint}</span>
      </span>
    </label>
  );

  return (
    <div class="page imports-page">
      <h1>导入</h1>
      <p class="muted">
        上传 WordPress 导出文件（WXR，在 WordPress 后台“工具 → 导出”得到），保存下来的 RSS、Atom 订阅文件或 JSON Feed，或每行一个 JSON 对象的 JSON lines
        文件（旧系统导出的稿件，字段与 JSON Feed 的条目相同）；格式按文件内容识别。文件不超过 {megabytes(maxBytes)}
        。导入在服务器后台进行，离开这个页面也不会中断；同一时间只能进行一个导入。重复导入同一文件不会产生重复的稿件。
      </p>
      <Notice kind="info">
        原站图片文件夹（wp-content/uploads）只能用命令行导入：npm run inkstone -- import 文件 --uploads
        图片文件夹。在这里导入时，正文中的原站图片保留原地址，报告会列出数量。Inkstone 自己的归档（导出、备份）和超过上限的文件也请用命令行导入。
      </Notice>
      <form class="card import-form" onSubmit={start}>
        <label class="field">
          <span>文件</span>
          <input
            type="file"
            name="file"
            accept=".xml,.rss,.atom,.json,.jsonl,.ndjson,application/xml,text/xml,application/rss+xml,application/atom+xml,application/json,application/feed+json"
            onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)}
          />
        </label>
        <fieldset class="import-options">
          <legend>选项</legend>
          {option('dryRun', '试运行', '只检查文件并给出报告，不写入任何内容')}
          {option(
            'update',
            '覆盖更新',
            '覆盖编辑部导入后改过的稿件，并跟随原站改变的状态：原站发布的稿件按原站时间发布，原站改为私密、草稿或移入回收站的稿件撤稿',
          )}
          {option('createAuthors', '为作者创建账号', '把文件中的作者建为记者账号并作为稿件作者（密码由管理员在“账号”页设置）')}
        </fieldset>
        <button type="submit" class="primary" disabled={sending || underWay}>
          {sending ? '正在上传…' : '开始导入'}
        </button>
        {underWay && !sending ? <span class="muted small-text"> 有导入正在进行</span> : null}
      </form>
      {typeof problem === 'string' ? <Notice>{problem}</Notice> : problem ? <Refusal error={problem} /> : null}
      <Notice>{error}</Notice>
      {current ? <RunView run={current} /> : null}
      <h2>导入记录</h2>
      {data && data.items.length === 0 ? <p class="muted">还没有从这里导入过。</p> : null}
      {data && data.items.length > 0 ? (
        <table class="table import-history">
          <thead>
            <tr>
              <th scope="col">开始时间</th>
              <th scope="col">文件</th>
              <th scope="col">操作人</th>
              <th scope="col">状态</th>
              <th scope="col">结果</th>
              <th scope="col">
                <span class="visually-hidden">查看</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((r) => (
              <tr key={r.id} data-import-row={r.id}>
                <td>{formatTime(r.startedAt)}</td>
                <td class="detail">
                  {r.fileName}
                  <span class="muted small-text">{optionNames(r.options)}</span>
                </td>
                <td>{r.by?.displayName ?? '—'}</td>
                <td>{statusNames[r.status]}</td>
                <td>
                  {r.report
                    ? `导入 ${r.report.imported}，更新 ${r.report.updated}，未变 ${r.report.unchanged}`
                    : r.error?.line !== undefined
                      ? `第 ${r.error.line} 行第 ${r.error.column ?? 1} 列`
                      : ''}
                </td>
                <td>
                  <button type="button" class="small" aria-label={`查看 ${r.fileName} 的报告`} onClick={() => setShown(r)}>
                    查看
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
