import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Account, ArticleStatus, Channel, List, Role } from '../shared/api.ts';
import { api, explain } from './api.ts';

export const statusNames: Record<ArticleStatus, string> = {
  draft: '草稿',
  submitted: '待审',
  scheduled: '定时发布',
  published: '已发布',
  unpublished: '已撤稿',
};

export const roleNames: Record<Role, string> = { reporter: '记者', editor: '编辑', admin: '管理员' };

/** The roles in rank order, for pickers. */
export const roles = Object.keys(roleNames) as Role[];

export function StatusBadge({ status }: { status: ArticleStatus }) {
  return <span class={`badge badge-${status}`}>{statusNames[status]}</span>;
}

/** Loads data for a page; `reload` fetches again after a change. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => live && (setData(d), setError(null)),
      (e) => live && setError(explain(e)),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload, setData };
}

/** A message; with `onDismiss` it stays until the person closes it. */
export function Notice({ kind = 'error', children, onDismiss }: { kind?: 'error' | 'info' | 'ok'; children: ComponentChildren; onDismiss?: () => void }) {
  if (children === null || children === undefined || children === '') return null;
  if (onDismiss) {
    return (
      <p class={`notice notice-${kind} dismissable`} role={kind === 'error' ? 'alert' : 'status'}>
        <span>{children}</span>
        <button type="button" class="dismiss" onClick={onDismiss}>
          知道了
        </button>
      </p>
    );
  }
  return (
    <p class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

/** Channels in tree order with their depth, for pickers and the channel page. */
export function channelTree(channels: readonly Channel[]): (Channel & { depth: number })[] {
  const children = new Map<string | null, Channel[]>();
  for (const c of channels) children.set(c.parent, [...(children.get(c.parent) ?? []), c]);
  const out: (Channel & { depth: number })[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const c of (children.get(parent) ?? []).sort((a, b) => a.position - b.position || a.id - b.id)) {
      out.push({ ...c, depth });
      walk(c.path, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

export function ChannelSelect({
  channels,
  value,
  onChange,
  id,
  allowTop,
  exclude,
  disabled,
}: {
  channels: Channel[];
  value: string;
  onChange: (path: string) => void;
  id?: string;
  allowTop?: string;
  exclude?: string;
  disabled?: boolean;
}) {
  return (
    <select id={id} value={value} disabled={disabled} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
      {allowTop !== undefined ? <option value="">{allowTop}</option> : <option value="">请选择频道</option>}
      {channelTree(channels)
        .filter((c) => !exclude || (c.path !== exclude && !c.path.startsWith(exclude + '/')))
        .map((c) => (
          <option value={c.path}>{'　'.repeat(c.depth) + (c.depth ? '└ ' : '') + c.name}</option>
        ))}
    </select>
  );
}

export function loadChannels(): Promise<Channel[]> {
  return api<List<Channel>>('GET', '/channels').then((r) => r.items);
}

export function loadPeople(): Promise<Account[]> {
  return api<List<Account>>('GET', '/accounts').then((r) => r.items);
}

/** A modal dialog on <dialog>: focus stays inside, Escape closes. */
export function Dialog({ title, open, onClose, children }: { title: string; open: boolean; onClose: () => void; children: ComponentChildren }) {
  const [el, setEl] = useState<HTMLDialogElement | null>(null);
  useEffect(() => {
    if (!el) return;
    if (open && !el.open) el.showModal();
    if (!open && el.open) el.close();
  }, [open, el]);
  return (
    <dialog ref={setEl} class="dialog" aria-label={title} onClose={onClose}>
      <h2>{title}</h2>
      {children}
    </dialog>
  );
}

interface FormDialogProps {
  title: string;
  open: boolean;
  /** The one field: its control, given the value and its setter. */
  field: (value: string, setValue: (v: string) => void) => ComponentChildren;
  /** The field's value each time the dialog opens; without it the value stays from last time (and clears once sent). */
  initial?: () => string;
  /** A message when the value cannot be sent, null when it can. */
  check?: (value: string) => string | null;
  submitLabel: string;
  onSubmit: (value: string) => unknown;
  onClose: () => void;
}

/** A dialog asking for one value: the field, a message when it is refused, send and cancel. */
export function FormDialog({ title, open, field, initial, check, submitLabel, onSubmit, onClose }: FormDialogProps) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (open && initial) setValue(initial());
  }, [open]);
  const submit = (e: Event) => {
    e.preventDefault();
    const refused = check?.(value) ?? null;
    setError(refused);
    if (refused) return;
    void Promise.resolve(onSubmit(value)).then(() => {
      if (!initial) setValue('');
    });
  };
  return (
    <Dialog title={title} open={open} onClose={onClose}>
      <form method="dialog" onSubmit={submit}>
        {field(value, setValue)}
        <Notice>{error}</Notice>
        <div class="row">
          <button type="submit" class="primary">
            {submitLabel}
          </button>
          <button type="button" onClick={onClose}>
            取消
          </button>
        </div>
      </form>
    </Dialog>
  );
}
