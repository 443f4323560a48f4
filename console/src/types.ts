// Shapes of the HTTP API v1 (docs/design.md §5) as the console reads them.

export const RIGHTS = ['FullAccess', 'SendAs', 'SendOnBehalf', 'CalendarDelegate'] as const;
export type Right = (typeof RIGHTS)[number];

export const RIGHT_LABELS: Record<Right, string> = {
  FullAccess: 'Full Access',
  SendAs: 'Send As',
  SendOnBehalf: 'Send on Behalf',
  CalendarDelegate: 'Calendar delegate',
};

export interface Page<T> {
  items: T[];
  continuationToken: string | null;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: Array<{ path: string; message: string }>;
}

export type RunStatus =
  | 'queued'
  | 'expanding'
  | 'running'
  | 'succeeded'
  | 'completedWithErrors'
  | 'needsReview'
  | 'failed'
  | 'skipped';

export interface RunSummary {
  runId: string;
  status: RunStatus;
  trigger: 'schedule' | 'manual';
  startedAt: string | null;
  finishedAt: string | null;
  mailboxesTotal: number;
  mailboxesDone: number;
  mailboxesFailed: number;
  delegationsAdded: number;
  delegationsRemoved: number;
  error: string | null;
}

/** What an administrator decided about a run's held revocations. */
export interface RunReview {
  decision: 'applied' | 'dismissed';
  by: string;
  at: string;
  applied: number;
  skipped: number;
}

export interface Run extends RunSummary {
  taskId: string;
  scheduledFor: string | null;
  createdAt: string;
  mailboxesSkipped: number;
  skippedByReason: Record<string, number>;
  trusteesUnresolved: number;
  /** Mailbox rights that could not be read (left as stored). */
  rightsNotRead: number;
  /** Revocations held back for review (status needsReview). */
  revocationsHeld: number;
  heldRights: Right[];
  /** Readable reasons, e.g. why the run holds its revocations. */
  warnings: string[];
  review: RunReview | null;
}

export interface RunMailbox {
  mailboxId: string;
  upn?: string;
  address: string;
  displayName: string;
  status: 'pending' | 'done' | 'failed';
  error: string | null;
  rightsNotRead: Array<{ right: Right; reason: string }>;
  warnings: string[];
}

/** A revocation a run held back: the delegation stays stored (and in lookups) until an admin applies it. */
export interface HeldRevocation {
  mailbox: DirectoryRef;
  delegate: DirectoryRef & { upn: string; accountEnabled?: boolean };
  right: Right;
  via: Via[];
  source: 'MailboxPermissionSync';
  firstSeen: string;
  lastConfirmed: string;
  /** notObserved: no longer seen; readEmpty: its mailbox read nothing while it held many; leftScope: out of scope. */
  reason: 'notObserved' | 'readEmpty' | 'leftScope';
}

export type Target =
  | { kind: 'group'; groupId: string }
  | { kind: 'groupDn'; dn: string }
  | { kind: 'groupEmail'; email: string }
  | { kind: 'mailboxes'; mailboxes: string[] };

export interface TaskView {
  id: string;
  description: string;
  scheduleId: string;
  schedule: { summary: string; timeZone: string } | null;
  target: Target;
  rights: Right[];
  enabled: boolean;
  nextDueAt: string | null;
  nextDueAtLocal: string | null;
  lastRun: RunSummary | null;
  createdAt: string;
  updatedAt: string;
}

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

export interface ScheduleView {
  id: string;
  description: string;
  type: 'oneOff' | 'daily' | 'weekly';
  mode?: 'once' | 'many';
  runAt?: string;
  startTime?: string;
  endTime?: string;
  intervalMinutes?: number;
  daysOfWeek?: Day[];
  timeZone: string;
  summary: string;
  createdAt: string;
  updatedAt: string;
}

export type Via = { kind: 'direct' } | { kind: 'group'; id: string; displayName: string };

export interface RightEntry {
  right: Right;
  source: 'MailboxPermissionSync' | 'Manual';
  via: Via[];
  firstSeen: string;
  lastConfirmed: string;
}

export interface DirectoryRef {
  id: string;
  address: string;
  displayName: string;
}

export interface DelegateMailboxItem {
  mailbox: DirectoryRef;
  rights: RightEntry[];
}

export interface MailboxDelegateItem {
  delegate: DirectoryRef & { accountEnabled: boolean | null };
  rights: RightEntry[];
}

export interface DelegationChange {
  type: 'granted' | 'revoked';
  mailbox: DirectoryRef;
  delegate: DirectoryRef;
  right: Right;
  via: Via[];
  source: RightEntry['source'];
  runId: string | null;
  at: string;
}

export interface DirectoryGroup {
  id: string;
  displayName: string;
  mail: string | null;
  onPremisesSamAccountName: string | null;
  source: 'synced' | 'cloud';
}

export interface Diagnostics {
  status: 'pass' | 'fail';
  checks: Array<{ name: string; status: 'pass' | 'fail'; detail: string; fix?: string }>;
}
