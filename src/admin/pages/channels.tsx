import { useState } from 'preact/hooks';
import type { Channel } from '../../shared/api.ts';
import { api, creator, explain } from '../api.ts';
import { ChannelSelect, channelTree, Notice } from '../ui.tsx';

function ChannelRow({
  channel,
  depth,
  channels,
  siblings,
  onDone,
}: {
  channel: Channel;
  depth: number;
  channels: Channel[];
  siblings: Channel[];
  onDone: (msg: string | null, err?: string) => void;
}) {
  const [name, setName] = useState(channel.name);
  const index = siblings.findIndex((c) => c.id === channel.id);
  const patch = async (body: object, msg: string) => {
    try {
      await api('PATCH', `/channels/${channel.id}`, body);
      onDone(msg);
    } catch (e) {
      onDone(null, explain(e));
    }
  };
  return (
    <li class="channel-row" data-channel={channel.path}>
      <span class={`depth depth-${Math.min(depth, 5)}`} aria-hidden="true" />
      <input aria-label={`${channel.name} 的名称`} value={name} maxLength={40} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      {name !== channel.name ? (
        <button type="button" class="small" onClick={() => void patch({ name }, `已改名为“${name}”。`)}>
          改名
        </button>
      ) : null}
      <code class="path">/c/{channel.path}</code>
      <button
        type="button"
        class="small"
        aria-label={`上移 ${channel.name}`}
        disabled={index <= 0}
        onClick={() => void patch({ position: index - 1 }, '已调整顺序。')}
      >
        ↑
      </button>
      <button
        type="button"
        class="small"
        aria-label={`下移 ${channel.name}`}
        disabled={index >= siblings.length - 1}
        onClick={() => void patch({ position: index + 1 }, '已调整顺序。')}
      >
        ↓
      </button>
      <label class="move">
        移到
        <ChannelSelect
          channels={channels}
          value={channel.parent ?? ''}
          allowTop="（顶级频道）"
          exclude={channel.path}
          onChange={(parent) => void patch({ parent: parent === '' ? null : parent }, '已移动频道。')}
        />
        之下
      </label>
    </li>
  );
}

export function ChannelsPage({ channels, onChange }: { channels: Channel[]; onChange: () => Promise<void> }) {
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [parent, setParent] = useState('');
  const [createChannel] = useState(() => creator('/channels'));
  const tree = channelTree(channels);
  const done = async (msg: string | null, err?: string) => {
    setMessage(msg);
    setError(err ?? null);
    await onChange();
  };
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      await createChannel({ slug, name, parent: parent || null });
      setSlug('');
      setName('');
      await done(`已创建频道“${name}”。`);
    } catch (err) {
      setError(explain(err));
    }
  };
  return (
    <div class="page">
      <h1>频道</h1>
      <Notice kind="ok">{message}</Notice>
      <Notice>{error}</Notice>
      <ul class="channel-tree">
        {tree.map((c) => (
          <ChannelRow
            key={`${c.id}-${c.name}-${c.path}`}
            channel={c}
            depth={c.depth}
            channels={channels}
            siblings={tree.filter((s) => s.parent === c.parent)}
            onDone={done}
          />
        ))}
      </ul>
      <form class="card inline-form" onSubmit={create}>
        <h2>新建频道</h2>
        <label class="field">
          <span>名称</span>
          <input required maxLength={40} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>地址（小写字母、数字、横线）</span>
          <input required pattern="[a-z0-9][a-z0-9\-]*" maxLength={40} value={slug} onInput={(e) => setSlug((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>上级频道</span>
          <ChannelSelect channels={channels} value={parent} allowTop="（顶级频道）" onChange={setParent} />
        </label>
        <button type="submit" class="primary">
          创建
        </button>
      </form>
    </div>
  );
}
