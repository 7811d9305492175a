import type { Kysely, Selectable } from 'kysely';
import type { Channel, ChannelChanges, NewChannel } from '../../domain/channels/channel.ts';
import type { ChannelTable, DB } from '../schema.ts';
import type * as Port from '../../domain/store.ts';

export class ChannelRepository implements Port.ChannelRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async all(): Promise<Channel[]> {
    const rows = await this.db.selectFrom('channels').selectAll().orderBy('position').orderBy('id').execute();
    return rows.map(toChannel);
  }

  async findByPath(path: string): Promise<Channel | undefined> {
    const row = await this.db.selectFrom('channels').selectAll().where('path', '=', path).executeTakeFirst();
    return row ? toChannel(row) : undefined;
  }

  async findById(id: number): Promise<Channel | undefined> {
    const row = await this.db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toChannel(row) : undefined;
  }

  /** The channel and every channel below it. */
  async subtreeIds(path: string): Promise<number[]> {
    const rows = await this.db
      .selectFrom('channels')
      .select('id')
      .where((eb) => eb.or([eb('path', '=', path), eb('path', 'like', `${path.replace(/[%_\\]/g, '')}/%`)]))
      .execute();
    return rows.map((r) => r.id);
  }

  async nextPosition(parentId: number | null): Promise<number> {
    const row = await this.db
      .selectFrom('channels')
      .select((eb) => eb.fn.max('position').as('max'))
      .where('parent_id', parentId === null ? 'is' : '=', parentId)
      .executeTakeFirst();
    return row?.max === null || row?.max === undefined ? 0 : Number(row.max) + 1;
  }

  async update(id: number, patch: ChannelChanges): Promise<void> {
    await this.db
      .updateTable('channels')
      .set({ name: patch.name, parent_id: patch.parentId, path: patch.path, position: patch.position })
      .where('id', '=', id)
      .execute();
  }

  async insert(c: NewChannel): Promise<number> {
    const { id } = await this.db
      .insertInto('channels')
      .values({
        slug: c.slug,
        name: c.name,
        parent_id: c.parentId,
        path: c.path,
        position: c.position,
        description: c.description,
        created_at: c.createdAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return id;
  }
}

function toChannel(r: Selectable<ChannelTable>): Channel {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    parentId: r.parent_id,
    path: r.path,
    position: r.position,
    description: r.description,
  };
}
