import type { Editor } from '@tiptap/core';
import { formatTime, fromLocalInput, timeZone, toLocalInput } from '../format.ts';
import { FormDialog } from '../ui.tsx';

const textOf = (e: Event) => (e.target as HTMLInputElement | HTMLTextAreaElement).value;

/** 退回修改: the editor's comment for the reporter. */
export function ReturnDialog({ open, onClose, onSend }: { open: boolean; onClose: () => void; onSend: (comment: string) => Promise<unknown> }) {
  return (
    <FormDialog
      title="退回修改"
      open={open}
      onClose={onClose}
      submitLabel="退回"
      onSubmit={onSend}
      field={(comment, setComment) => (
        <label class="field">
          <span>给记者的意见</span>
          <textarea name="comment" rows={4} maxLength={1000} required value={comment} onInput={(e) => setComment(textOf(e))} />
        </label>
      )}
    />
  );
}

/** 定时发布: a time in the site's zone, an hour from now unless one was set. */
export function ScheduleDialog({
  open,
  initial,
  onClose,
  onSchedule,
}: {
  open: boolean;
  initial?: string | null;
  onClose: () => void;
  onSchedule: (at: string) => Promise<unknown>;
}) {
  return (
    <FormDialog
      title="定时发布"
      open={open}
      onClose={onClose}
      submitLabel="确定"
      initial={() => toLocalInput(initial ? Date.parse(initial) : Date.now() + 3600_000)}
      check={(value) => (Number.isFinite(fromLocalInput(value)) ? null : '请选择发布时间。')}
      onSubmit={(value) => onSchedule(new Date(fromLocalInput(value)).toISOString())}
      field={(value, setValue) => (
        <label class="field">
          <span>发布时间（{timeZone === 'Asia/Shanghai' ? '北京时间' : timeZone}）</span>
          <input type="datetime-local" name="at" required value={value} onInput={(e) => setValue(textOf(e))} />
        </label>
      )}
    />
  );
}

/**
 * 重新发布 after 撤稿: keep the first publication time (a corrected story stays where readers saw it: the default),
 * now (it is news again), or a chosen time in the past (never before the article was written; a future time is a
 * schedule). The one value is `keep`, `now` or the chosen datetime-local text.
 */
export function RepublishDialog({
  open,
  publishedAt,
  createdAt,
  onClose,
  onPublish,
}: {
  open: boolean;
  publishedAt: string;
  createdAt: string;
  onClose: () => void;
  onPublish: (publishedAt: string) => Promise<unknown>;
}) {
  const chosen = (v: string) => v !== 'keep' && v !== 'now';
  return (
    <FormDialog
      title="重新发布"
      open={open}
      onClose={onClose}
      submitLabel="发布"
      initial={() => 'keep'}
      check={(value) => {
        if (!chosen(value)) return null;
        const at = fromLocalInput(value);
        if (!Number.isFinite(at)) return '请选择发布时间。';
        if (at > Date.now()) return '发布时间不能晚于现在；要在将来发布，请用定时发布。';
        if (at < Date.parse(createdAt) - 60_000) return '发布时间不能早于稿件的创建时间。';
        return null;
      }}
      onSubmit={(value) => onPublish(chosen(value) ? new Date(Math.max(fromLocalInput(value), Date.parse(createdAt))).toISOString() : value)}
      field={(value, setValue) => (
        <fieldset class="field publish-time">
          <legend>发布时间</legend>
          <label>
            <input type="radio" name="when" value="keep" checked={value === 'keep'} onChange={() => setValue('keep')} /> 保留原发布时间（
            {formatTime(publishedAt)}）
          </label>
          <label>
            <input type="radio" name="when" value="now" checked={value === 'now'} onChange={() => setValue('now')} /> 使用现在的时间
          </label>
          <label>
            <input type="radio" name="when" value="chosen" checked={chosen(value)} onChange={() => setValue(toLocalInput(Date.parse(publishedAt)))} />{' '}
            指定时间（{timeZone === 'Asia/Shanghai' ? '北京时间' : timeZone}，不晚于现在）
          </label>
          {chosen(value) ? (
            <input type="datetime-local" name="publishedAt" aria-label="指定的发布时间" required value={value} onInput={(e) => setValue(textOf(e))} />
          ) : null}
        </fieldset>
      )}
    />
  );
}

/** 链接: sets the link at the selection, or removes it when the address is left empty. */
export function LinkDialog({ open, editor, onClose }: { open: boolean; editor: Editor | null; onClose: () => void }) {
  return (
    <FormDialog
      title="链接"
      open={open}
      onClose={onClose}
      submitLabel="确定"
      initial={() => (editor?.getAttributes('link').href as string | undefined) ?? 'https://'}
      onSubmit={(href) => {
        const chain = editor?.chain().focus().extendMarkRange('link');
        if (/^https?:\/\/\S+$/i.test(href.trim())) chain?.setLink({ href: href.trim() }).run();
        else chain?.unsetLink().run();
        onClose();
      }}
      field={(href, setHref) => (
        <label class="field">
          <span>网址（留空则取消链接）</span>
          <input type="url" name="href" value={href} onInput={(e) => setHref(textOf(e))} />
        </label>
      )}
    />
  );
}
