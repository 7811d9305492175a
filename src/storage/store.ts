import type { Kysely } from 'kysely';
import type { Database } from './database.ts';
import type { Dialect } from './migrations/index.ts';
import type { DB } from './schema.ts';
import { AccountRepository } from './repositories/accounts.ts';
import { ArticleRepository } from './repositories/articles.ts';
import { ChannelRepository } from './repositories/channels.ts';
import { HistoryRepository } from './repositories/history.ts';
import { MediaRepository } from './repositories/media.ts';
import { ReactionRepository } from './repositories/reactions.ts';
import { RelatedRepository } from './repositories/related.ts';
import { searchIndex, type SearchIndex } from './search/index.ts';
import { SlotRepository } from './repositories/slots.ts';
import { SourceRepository } from './repositories/sources.ts';
import { TopicRepository } from './repositories/topics.ts';

/** The repositories over one connection or one transaction; services receive this, never SQL. */
export class Store {
  readonly articles: ArticleRepository;
  readonly channels: ChannelRepository;
  readonly topics: TopicRepository;
  readonly history: HistoryRepository;
  readonly accounts: AccountRepository;
  readonly reactions: ReactionRepository;
  readonly related: RelatedRepository;
  readonly slots: SlotRepository;
  readonly media: MediaRepository;
  readonly sources: SourceRepository;
  readonly search: SearchIndex;

  constructor(
    private readonly db: Kysely<DB>,
    readonly dialect: Dialect,
    /** Inside a transaction: what to run once it has committed. */
    private readonly committed?: (() => void)[],
  ) {
    this.articles = new ArticleRepository(db);
    this.channels = new ChannelRepository(db);
    this.topics = new TopicRepository(db);
    this.history = new HistoryRepository(db);
    this.accounts = new AccountRepository(db);
    this.reactions = new ReactionRepository(db, dialect);
    this.related = new RelatedRepository(db, dialect);
    this.slots = new SlotRepository(db);
    this.media = new MediaRepository(db);
    this.sources = new SourceRepository(db);
    this.search = searchIndex(db, dialect);
  }

  static of(database: Database): Store {
    return new Store(database.db, database.dialect);
  }

  /** Runs fn in one transaction: all its writes land together or not at all. */
  async transaction<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return fn(this);
    const committed: (() => void)[] = [];
    const result = await this.db.transaction().execute((tx) => fn(new Store(tx, this.dialect, committed)));
    for (const run of committed) run();
    return result;
  }

  /** Runs `run` after the enclosing transaction commits; never if it rolls back; at once outside a transaction. */
  afterCommit(run: () => void): void {
    if (this.committed) this.committed.push(run);
    else run();
  }
}
