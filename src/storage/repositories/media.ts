import type { Kysely, Selectable } from 'kysely';
import type { Media, MediaVariant } from '../../domain/media/media.ts';
import type { DB, MediaTable } from '../schema.ts';
import type * as Port from '../../domain/store.ts';

/** Uploaded images: one row per upload, the variant list as JSON. */
export class MediaRepository implements Port.MediaRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(m: Omit<Media, 'id'>): Promise<number> {
    const { id } = await this.db
      .insertInto('media')
      .values({
        account_id: m.accountId,
        key: m.key,
        original_name: m.originalName,
        mime: m.mime,
        width: m.width,
        height: m.height,
        bytes: m.bytes,
        sha256: m.sha256,
        variants: JSON.stringify(m.variants),
        created_at: m.createdAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return id;
  }

  async findById(id: number): Promise<Media | undefined> {
    const row = await this.db.selectFrom('media').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toMedia(row) : undefined;
  }

  /** The earliest upload of exactly these bytes, whose files a new upload may reuse. */
  async findBySha256(sha256: string): Promise<Media | undefined> {
    const row = await this.db.selectFrom('media').selectAll().where('sha256', '=', sha256).orderBy('id').limit(1).executeTakeFirst();
    return row ? toMedia(row) : undefined;
  }

  /** One upload per key (identical uploads share a key and files, so any of them will do). */
  async findByKeys(keys: readonly string[]): Promise<Map<string, Media>> {
    const found = new Map<string, Media>();
    if (keys.length === 0) return found;
    const rows = await this.db
      .selectFrom('media')
      .selectAll()
      .where('key', 'in', [...new Set(keys)])
      .orderBy('id')
      .execute();
    for (const row of rows) if (!found.has(row.key)) found.set(row.key, toMedia(row));
    return found;
  }

  async count(): Promise<number> {
    const { n } = await this.db
      .selectFrom('media')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }
}

function toMedia(r: Selectable<MediaTable>): Media {
  return {
    id: r.id,
    accountId: r.account_id,
    key: r.key,
    originalName: r.original_name,
    mime: r.mime as Media['mime'],
    width: r.width,
    height: r.height,
    bytes: Number(r.bytes),
    sha256: r.sha256,
    variants: JSON.parse(r.variants) as MediaVariant[],
    createdAt: Number(r.created_at),
  };
}
