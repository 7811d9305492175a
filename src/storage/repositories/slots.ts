import type { Kysely } from 'kysely';
import type { SlotItem } from '../../domain/slots/slot.ts';
import type { DB } from '../schema.ts';
import type * as Port from '../../domain/store.ts';

/** Curated home-page slots (visual focus, headlines): ordered article lists with optional expiry. */
export class SlotRepository implements Port.SlotRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async items(slot: string): Promise<SlotItem[]> {
    const rows = await this.db
      .selectFrom('slot_items')
      // An article in the 回收站 is out of every list until it is restored.
      .innerJoin('articles', 'articles.id', 'slot_items.article_id')
      .select(['slot_items.article_id', 'slot_items.position', 'slot_items.expires_at'])
      .where('slot_items.slot', '=', slot)
      .where('articles.deleted_at', 'is', null)
      .orderBy('slot_items.position')
      .execute();
    return rows.map((r) => ({ articleId: r.article_id, position: r.position, expiresAt: r.expires_at }));
  }

  async replace(slot: string, items: { articleId: number; expiresAt: number | null }[], at: number): Promise<void> {
    await this.db.deleteFrom('slot_items').where('slot', '=', slot).execute();
    if (items.length === 0) return;
    await this.db
      .insertInto('slot_items')
      .values(items.map((item, position) => ({ slot, article_id: item.articleId, position, expires_at: item.expiresAt, created_at: at })))
      .execute();
  }
}
