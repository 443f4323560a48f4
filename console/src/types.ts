// Shapes of the HTTP API v1 as the console reads them: taken from the types openapi-typescript generates from
// docs/openapi.json (api.generated.ts), so a change to a route's schema breaks the console's build, not its users.
import type { operations } from './api.generated';

type Responses<Op extends keyof operations> = operations[Op]['responses'];
/** The body of an operation's response with that status and media type. */
type Body<Op extends keyof operations, Status extends number, Media extends string = 'application/json'> =
  Responses<Op> extends Record<Status, { content: Record<Media, infer B> }> ? B : never;
/** The item type of a list operation's page. */
type ItemOf<Op extends keyof operations> = Body<Op, 200> extends { items: Array<infer Item> } ? Item : never;

/** The list envelope every list route returns. */
export interface Page<T> {
  items: T[];
  continuationToken: string | null;
}

/** RFC 9457 problem details, as every route answers its errors. */
export type Problem = Body<'getTask', 400, 'application/problem+json'>;

export type TaskView = Body<'getTask', 200>;
export type Target = TaskView['target'];
export type RunSummary = NonNullable<TaskView['lastRun']>;
export type RunStatus = RunSummary['status'];
export type Run = Body<'getRun', 200>;
/** What an administrator decided about a run's held revocations. */
export type RunReview = NonNullable<Run['review']>;
export type RunMailbox = ItemOf<'listRunMailboxes'>;
/** A revocation a run held back: the delegation stays stored (and in lookups) until an admin applies it. */
export type HeldRevocation = ItemOf<'listHeldRevocations'>;

export type ScheduleView = Body<'getSchedule', 200>;
export type Day = NonNullable<ScheduleView['daysOfWeek']>[number];
/** The days in the order the schedule form lists them. */
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const satisfies readonly Day[];

/** A lookup route's answer for now (`Current`) or, with `?at=`, for a past time (it carries `asOf`). */
type Current<Op extends keyof operations> = Exclude<Body<Op, 200>, { asOf: string }>;
type AtTime<Op extends keyof operations> = Extract<Body<Op, 200>, { asOf: string }>;
type CurrentItem<Op extends keyof operations> = Current<Op> extends { items: Array<infer Item> } ? Item : never;

export type DelegateMailboxItem = CurrentItem<'getUserDelegateMailboxes'>;
export type MailboxDelegateItem = CurrentItem<'getMailboxDelegates'>;
/** The mailboxes a user could open at a past time, with `asOf`, `historyCompleteFrom` and `complete`. */
export type DelegateMailboxesAt = AtTime<'getUserDelegateMailboxes'>;
export type MailboxDelegatesAt = AtTime<'getMailboxDelegates'>;
/** A right as a table shows it: at a past time `via`, `firstSeen`, `lastConfirmed` and the rest may be unknown. */
export interface RightRow {
  right: RightEntry['right'];
  source: RightEntry['source'];
  via?: Via[];
  firstSeen?: string;
  lastConfirmed?: string;
  lastVerified?: string | null;
  grantedBy?: string | null;
  grantedAt?: string | null;
}
export type Footprint = Body<'getUserFootprint', 200>;
export type GroupGrant = Footprint['throughGroups'][number];
export type DelegationChange = ItemOf<'listDelegationChanges'>;
export type RightEntry = DelegateMailboxItem['rights'][number];
export type Via = RightEntry['via'][number];
export type DirectoryRef = DelegateMailboxItem['mailbox'];
export type DirectoryGroup = Body<'getDirectoryGroup', 200>;
export type Diagnostics = Body<'diagnostics', 200>;
export type AuditFeed = Body<'getAuditFeed', 200>;

export type Right = RightEntry['right'];
/** The rights in the order the console lists them. */
export const RIGHTS = ['FullAccess', 'SendAs', 'SendOnBehalf', 'CalendarDelegate'] as const satisfies readonly Right[];

export const RIGHT_LABELS: Record<Right, string> = {
  FullAccess: 'Full Access',
  SendAs: 'Send As',
  SendOnBehalf: 'Send on Behalf',
  CalendarDelegate: 'Calendar delegate',
};

export type AlertRuleView = Body<'getAlertRule', 200>;
export type AlertDelivery = ItemOf<'listAlertDeliveries'>;
