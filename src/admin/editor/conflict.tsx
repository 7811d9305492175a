import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { BodyDiff, TextDiff } from '../diff-view.tsx';
import type { Choice } from '../merge.ts';
import type { EditConflict, FormField } from './draft.ts';

const fieldNames: Record<FormField, string> = {
  title: '标题',
  subtitle: '副标题',
  channel: '频道',
  source: '来源',
  byline: '署名',
  editor: '责任编辑',
  tags: '标签',
  cover: '封面图',
  summary: '摘要',
};

/**
 * A save that overlapped someone else's: what merged by itself is already on screen; for each overlap the two
 * versions side by side, each as the diff from the revision both started from, and the person's pick.
 */
export function ConflictView({ conflict, onResolve }: { conflict: EditConflict; onResolve: (choices: Record<string, Choice>) => Promise<unknown> }) {
  const { by, at, current, merge } = conflict;
  const [choices, setChoices] = useState<Record<string, Choice>>({});
  const [busy, setBusy] = useState(false);
  const total = merge.fieldConflicts.length + merge.bodyConflicts.length;
  const choice = (key: string) => choices[key] ?? 'mine';
  const pick = (key: string, c: Choice) => setChoices((x) => ({ ...x, [key]: c }));

  const item = (key: string, title: string, mine: ComponentChildren, theirs: ComponentChildren, both: boolean) => (
    // biome-ignore lint/a11y/useSemanticElements: a fieldset's legend would not lay out as this heading does
    <div class="conflict-item" data-conflict-item={key} role="group" aria-label={title}>
      <h3>{title}</h3>
      <div class="conflict-sides">
        {(['mine', 'theirs'] as const).map((side) => (
          // The whole side picks it; the radio button is the control for the keyboard and screen readers.
          // biome-ignore lint/a11y/noStaticElementInteractions: a mouse convenience beside the radio button
          // biome-ignore lint/a11y/useKeyWithClickEvents: the radio button inside takes the keyboard
          <div class={`conflict-side diff${choice(key) === side ? ' chosen' : ''}`} data-side={side} onClick={() => pick(key, side)}>
            <label class="conflict-pick">
              <input type="radio" name={key} value={side} checked={choice(key) === side} onChange={() => pick(key, side)} />
              {side === 'mine' ? '保留我的版本' : `采用${by}的版本`}
            </label>
            <div class="conflict-text">{side === 'mine' ? mine : theirs}</div>
          </div>
        ))}
      </div>
      {both ? (
        <label class="conflict-both">
          <input type="radio" name={key} value="both" checked={choice(key) === 'both'} onChange={() => pick(key, 'both')} />
          两段都保留（我的在前）
        </label>
      ) : null}
    </div>
  );

  return (
    <section class="conflict" aria-label="修改冲突" data-conflict>
      <h2>
        与{by}的修改有 {total} 处冲突
      </h2>
      <p>
        {by}于 {at} 把稿件改成了第 {current.revision}{' '}
        版。您的修改都还在，只是尚未保存：不冲突的修改已经合并到编辑区；下面是两人改了同一处的地方（绿色为相对原稿新增，红色为删去），编辑区里暂时是您的版本。请逐处选择保留哪个版本，然后保存。
      </p>
      {merge.fieldConflicts.map((c) =>
        item(c.key, fieldNames[c.field], <TextDiff from={c.base} to={c.mine} />, <TextDiff from={c.base} to={c.theirs} />, false),
      )}
      {merge.bodyConflicts.map((c, i) =>
        item(
          c.key,
          merge.bodyConflicts.length > 1 ? `正文第 ${i + 1} 处` : '正文',
          c.mine.length ? <BodyDiff from={c.base.join('')} to={c.mine.join('')} /> : <p class="muted">（删去了这部分）</p>,
          c.theirs.length ? <BodyDiff from={c.base.join('')} to={c.theirs.join('')} /> : <p class="muted">（删去了这部分）</p>,
          c.base.length === 0 && c.mine.length > 0 && c.theirs.length > 0,
        ),
      )}
      <div class="row">
        <button
          type="button"
          class="primary"
          data-resolve
          disabled={busy}
          onClick={() => {
            setBusy(true);
            void onResolve(choices).finally(() => setBusy(false));
          }}
        >
          按所选合并并保存
        </button>
      </div>
    </section>
  );
}
