/** One line of the audit log: who did what to which record, and the details worth keeping. */
export interface AuditEvent {
  id: number;
  at: number;
  actorId: number | null;
  actorUsername: string | null;
  /** The actor's display name (王斌), for the log's sentences. */
  actorName: string | null;
  action: string;
  subjectType: string;
  subjectId: string;
  /** What the subject is called now: an article's title, an account's username; null when it is gone or has none. */
  subjectName: string | null;
  detail: Record<string, unknown>;
}

export interface NewAuditEvent {
  at: number;
  actorId: number | null;
  action: string;
  subjectType: string;
  subjectId: string | number;
  detail?: Record<string, unknown>;
}

/** Which events to list, newest first: every condition given must hold. */
export interface AuditQuery {
  limit: number;
  /** Keyset paging: events older than this id. */
  before?: number;
  actorId?: number;
  /** Any of these actions. */
  actions?: readonly string[];
  /** Events about this article. */
  articleId?: number;
  /** Events about articles whose title contains this text. */
  articleTitle?: string;
  /** From this time (inclusive) to that one (exclusive), in milliseconds. */
  from?: number;
  to?: number;
}
