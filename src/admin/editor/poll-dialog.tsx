import type { Editor } from '@tiptap/core';
import { useState } from 'preact/hooks';
import { api, explain } from '../api.ts';
import { FormDialog, Notice } from '../ui.tsx';

interface PublicPoll {
  poll: { id: number; question: string };
}

/** 投票: asks for a poll's number (from the 投票 page), checks it exists, and embeds it where the cursor is. */
export function PollDialog({ open, editor, onClose }: { open: boolean; editor: Editor | null; onClose: () => void }) {
  const [failure, setFailure] = useState<string | null>(null);
  return (
    <FormDialog
      title="插入投票"
      open={open}
      submitLabel="插入"
      check={(v) => (/^\s*#?[1-9]\d{0,8}\s*$/.test(v) ? null : '请填写投票编号（在“投票”页面查看）')}
      field={(value, setValue) => (
        <>
          <label class="field">
            <span>投票编号</span>
            <input name="poll" inputMode="numeric" required value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
          </label>
          <p class="muted small-text">
            先在 <a href="/admin/polls/new">投票</a> 页面新建投票，再把编号填在这里。
          </p>
          <Notice>{failure}</Notice>
        </>
      )}
      onSubmit={async (value) => {
        const id = Number(value.replace(/\D/g, ''));
        try {
          const found = await api<PublicPoll>('GET', `/polls/${id}`);
          editor?.chain().focus().insertPoll({ id, question: found.poll.question }).run();
          setFailure(null);
          onClose();
        } catch (err) {
          setFailure(explain(err));
        }
      }}
      onClose={() => (setFailure(null), onClose())}
    />
  );
}
