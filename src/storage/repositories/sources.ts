import type { Kysely } from 'kysely';
import type { NewSource, Source } from '../../domain/sources/source.ts';
import type { DB } from '../schema.ts';
import type * as Port from '../../domain/store.ts';

/** The newsroom's reusable list of sources (来源): syndicating papers, agencies, their sites. */
export class SourceRepository implements Port.SourceRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async all(): Promise<Source[]> {
    const rows = await this.db.selectFrom('sources').select(['id', 'name', 'url', 'created_at']).orderBy('name').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, url: r.url, createdAt: r.created_at }));
  }

  async findByName(name: string): Promise<Source | undefined> {
    const r = await this.db.selectFrom('sources').select(['id', 'name', 'url', 'created_at']).where('name', '=', name).executeTakeFirst();
    return r ? { id: r.id, name: r.name, url: r.url, createdAt: r.created_at } : undefined;
  }

  async insert(s: NewSource): Promise<number> {
    const { id } = await this.db
      .insertInto('sources')
      .values({ name: s.name, url: s.url, created_by: s.createdBy, created_at: s.at })
      .returning('id')
      .executeTakeFirstOrThrow();
    return id;
  }

  async update(id: number, s: { url: string }): Promise<void> {
    await this.db.updateTable('sources').set({ url: s.url }).where('id', '=', id).execute();
  }
}
