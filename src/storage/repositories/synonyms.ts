import type { Kysely } from 'kysely';
import type { SynonymGroup, SynonymWrite } from '../../domain/search/synonym.ts';
import type * as Port from '../../domain/store.ts';
import type { DB } from '../schema.ts';

type Row = { id: number; words: string; created_at: number; updated_at: number; updated_by: number | null };

function group(r: Row): SynonymGroup {
  let words: string[] = [];
  try {
    const parsed = JSON.parse(r.words) as unknown;
    if (Array.isArray(parsed)) words = parsed.filter((w): w is string => typeof w === 'string');
  } catch {
    // A row written by hand that is not JSON: a group with no words, which matches nothing.
  }
  return { id: r.id, words, createdAt: r.created_at, updatedAt: r.updated_at, updatedBy: r.updated_by };
}

/** Search synonym groups and the words they claim (each word in one group: the words table's primary key). */
export class SynonymRepository implements Port.SynonymRepository {
  constructor(private readonly db: Kysely<DB>) {}

  private base() {
    return this.db.selectFrom('search_synonyms').select(['id', 'words', 'created_at', 'updated_at', 'updated_by']);
  }

  async all(): Promise<SynonymGroup[]> {
    return (await this.base().orderBy('id').execute()).map(group);
  }

  async find(id: number): Promise<SynonymGroup | undefined> {
    const r = await this.base().where('id', '=', id).executeTakeFirst();
    return r ? group(r) : undefined;
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('search_synonyms')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Claims the keys for the group: on conflict nothing is written for a key another group holds (or is claiming). */
  private async claim(id: number, keys: string[]): Promise<string[]> {
    const rows = await this.db
      .insertInto('search_synonym_words')
      .values(keys.map((word) => ({ word, synonym_id: id })))
      .onConflict((oc) => oc.column('word').doNothing())
      .returning('word')
      .execute();
    const claimed = new Set(rows.map((r) => r.word));
    return keys.filter((k) => !claimed.has(k));
  }

  async insert(g: SynonymWrite): Promise<{ id: number } | { taken: string[] }> {
    const { id } = await this.db
      .insertInto('search_synonyms')
      .values({ words: JSON.stringify(g.words), created_by: g.actorId, created_at: g.at, updated_by: g.actorId, updated_at: g.at })
      .returning('id')
      .executeTakeFirstOrThrow();
    const taken = await this.claim(id, g.keys);
    return taken.length ? { taken } : { id };
  }

  async update(id: number, g: SynonymWrite): Promise<'ok' | 'gone' | { taken: string[] }> {
    // The row first: on PostgreSQL its lock orders two admins saving the same group, the later one on top.
    const result = await this.db
      .updateTable('search_synonyms')
      .set({ words: JSON.stringify(g.words), updated_by: g.actorId, updated_at: g.at })
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return 'gone';
    await this.db.deleteFrom('search_synonym_words').where('synonym_id', '=', id).execute();
    const taken = await this.claim(id, g.keys);
    return taken.length ? { taken } : 'ok';
  }

  async remove(id: number): Promise<boolean> {
    await this.db.deleteFrom('search_synonym_words').where('synonym_id', '=', id).execute();
    const result = await this.db.deleteFrom('search_synonyms').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
