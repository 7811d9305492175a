/** One line of the audit log: who did what to which record, and the details worth keeping. */
export interface AuditEvent {
  id: number;
  at: number;
  actorId: number | null;
  actorUsername: string | null;
  action: string;
  subjectType: string;
  subjectId: string;
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
