import { NotFoundError, ValidationError } from '../errors.js';
import { toCsv } from '../domain/csv.js';
import { delegationsAt, type HistoricDelegation } from '../domain/delegation/pointInTime.js';
import { RIGHTS, type DelegationEvent, type Right, type Source, type Via } from '../domain/delegation/types.js';
import type { HistorySubject, MailboxRef } from '../ports/delegations.js';
import type { Repositories, UseCaseSettings } from '../ports/services.js';

export interface PointInTimeDeps {
  repos: Repositories;
  now: () => Date;
  settings: Pick<UseCaseSettings, 'historyRetentionDays'>;
}

/**
 * A right as held at a past time: `via`, `firstSeen`, `grantedBy` (the grant's actor, null when not known) and
 * `observedBy` only when the history records them for that time.
 */
export interface RightAtView {
  right: Right;
  source: Source;
  via?: Via[];
  firstSeen?: string;
  grantedBy?: string | null;
  observedBy?: DelegationEvent['observedBy'];
}

export interface DelegateMailboxAtItem {
  mailbox: MailboxRef;
  rights: RightAtView[];
}

export interface MailboxDelegateAtItem {
  delegate: { id: string; upn: string; address: string; displayName: string };
  rights: RightAtView[];
}

/**
 * A point-in-time answer: the items at `asOf`, and `historyCompleteFrom`, the earliest time from which the store
 * provably holds every change for what the answer covers (null: it cannot prove any). `complete` is false when
 * `asOf` is before it: the items are then what the retained history shows, not proven.
 */
export interface PointInTime<T> {
  items: T[];
  asOf: string;
  historyCompleteFrom: string | null;
  complete: boolean;
}

const DAY_MS = 86_400_000;
const rightOrder = (r: Right) => RIGHTS.indexOf(r);

/** `at` as a date no later than now; a future time is refused (the state there is not known yet). */
function pastInstant(at: string, now: Date): Date {
  const when = new Date(at);
  if (Number.isNaN(when.getTime()))
    throw new ValidationError('REQUEST.INVALID', 'at must be an ISO 8601 date-time', [
      { path: 'at', message: 'must be an ISO 8601 date-time such as 2026-11-01T09:00:00Z' },
    ]);
  if (when.getTime() > now.getTime())
    throw new ValidationError('HISTORY.AT_IN_FUTURE', `at (${at}) is in the future; the state there is not known`, [
      { path: 'at', message: `must not be later than now (${now.toISOString()})` },
    ]);
  return when;
}

/**
 * The later of the subject's recorded history start and the retention cut-off (events before now minus
 * HISTORY_RETENTION_DAYS may already be deleted); null when no start was recorded.
 */
function completeFrom(startedAt: string | undefined, now: Date, retentionDays: number): string | null {
  if (!startedAt) return null;
  return new Date(Math.max(Date.parse(startedAt), now.getTime() - retentionDays * DAY_MS)).toISOString();
}

async function rebuild(
  deps: PointInTimeDeps,
  value: string,
  what: 'user' | 'mailbox',
  at: string,
): Promise<{ held: HistoricDelegation[]; asOf: string; historyCompleteFrom: string | null; complete: boolean }> {
  const now = deps.now();
  const when = pastInstant(at, now);
  const resolved = value.length <= 320 ? await deps.repos.directory.resolveId(value) : undefined;
  if (!resolved) throw unknown(what, value);
  const subject: HistorySubject = what === 'user' ? { delegateId: resolved.id } : { mailboxId: resolved.id };
  const [rows, history] = await Promise.all([
    what === 'user' ? deps.repos.delegations.forDelegate(resolved.id) : deps.repos.delegations.forMailbox(resolved.id),
    deps.repos.delegations.historyOf(subject),
  ]);
  if (rows.length === 0 && history.events.length === 0 && !resolved.known) {
    if (!(await deps.repos.directory.find(resolved.id))) throw unknown(what, value);
  }
  const asOf = when.toISOString();
  const historyCompleteFrom = completeFrom(history.startedAt, now, deps.settings.historyRetentionDays);
  return {
    held: delegationsAt(rows, history.events, asOf),
    asOf,
    historyCompleteFrom,
    complete: historyCompleteFrom !== null && Date.parse(historyCompleteFrom) <= when.getTime(),
  };
}

function unknown(what: 'user' | 'mailbox', value: string): NotFoundError {
  return new NotFoundError(
    what === 'user' ? 'USER.NOT_FOUND' : 'MAILBOX.NOT_FOUND',
    `No ${what} '${value.slice(0, 320)}' is known; it may not have been synced yet`,
  );
}

function rightAt(d: HistoricDelegation): RightAtView {
  return {
    right: d.right,
    source: d.source,
    ...(d.via ? { via: d.via } : {}),
    ...(d.firstSeen ? { firstSeen: d.firstSeen } : {}),
    ...(d.grantedBy !== undefined ? { grantedBy: d.grantedBy } : {}),
    ...(d.observedBy ? { observedBy: d.observedBy } : {}),
  };
}

const sortRights = (list: RightAtView[]) =>
  list.sort((a, b) => rightOrder(a.right) - rightOrder(b.right) || a.source.localeCompare(b.source));

/** The mailboxes a user could access at `at`, rebuilt from the user's history; 404 for an unknown user. */
export async function delegateMailboxesAt(
  deps: PointInTimeDeps,
  user: string,
  at: string,
): Promise<PointInTime<DelegateMailboxAtItem>> {
  const { held, ...answer } = await rebuild(deps, user, 'user', at);
  const byMailbox = new Map<string, DelegateMailboxAtItem>();
  for (const d of held) {
    const item = byMailbox.get(d.mailbox.id.toLowerCase()) ?? { mailbox: d.mailbox, rights: [] };
    item.rights.push(rightAt(d));
    byMailbox.set(d.mailbox.id.toLowerCase(), item);
  }
  const items = [...byMailbox.values()]
    .map((i) => ({ ...i, rights: sortRights(i.rights) }))
    .sort(
      (a, b) => a.mailbox.displayName.localeCompare(b.mailbox.displayName) || a.mailbox.id.localeCompare(b.mailbox.id),
    );
  return { items, ...answer };
}

/** Who could access a mailbox at `at`, rebuilt from the mailbox's history; 404 for an unknown mailbox. */
export async function delegatesAt(
  deps: PointInTimeDeps,
  mailbox: string,
  at: string,
): Promise<PointInTime<MailboxDelegateAtItem>> {
  const { held, ...answer } = await rebuild(deps, mailbox, 'mailbox', at);
  const byDelegate = new Map<string, MailboxDelegateAtItem>();
  for (const d of held) {
    const { id, upn, address, displayName } = d.delegate;
    const item = byDelegate.get(id.toLowerCase()) ?? { delegate: { id, upn, address, displayName }, rights: [] };
    item.rights.push(rightAt(d));
    byDelegate.set(id.toLowerCase(), item);
  }
  const items = [...byDelegate.values()]
    .map((i) => ({ ...i, rights: sortRights(i.rights) }))
    .sort(
      (a, b) =>
        a.delegate.displayName.localeCompare(b.delegate.displayName) || a.delegate.id.localeCompare(b.delegate.id),
    );
  return { items, ...answer };
}

function viaText(via: Via[] | undefined): string {
  if (!via) return '';
  return via.map((v) => (v.kind === 'direct' ? 'direct' : `group:${v.displayName} (${v.id})`)).join('; ');
}

/**
 * CSV of a point-in-time answer: one line per (subject, right, source), each carrying the completeness columns (a
 * spreadsheet keeps no response headers).
 */
function pointInTimeCsv<Item extends { rights: RightAtView[] }>(
  answer: PointInTime<Item>,
  subject: 'mailbox' | 'delegate',
  refOf: (item: Item) => { id: string; address: string; displayName: string },
): string {
  return toCsv(
    [
      `${subject}Id`,
      `${subject}Address`,
      `${subject}DisplayName`,
      'right',
      'source',
      'via',
      'firstSeen',
      'grantedBy',
      'asOf',
      'historyCompleteFrom',
      'complete',
    ],
    answer.items.flatMap((item) => {
      const ref = refOf(item);
      return item.rights.map((r) => [
        ref.id,
        ref.address,
        ref.displayName,
        r.right,
        r.source,
        viaText(r.via),
        r.firstSeen ?? '',
        r.grantedBy ?? '',
        answer.asOf,
        answer.historyCompleteFrom ?? '',
        String(answer.complete),
      ]);
    }),
  );
}

/** CSV of a user's mailboxes at a past time: one line per (mailbox, right, source), with the completeness. */
export function delegateMailboxesAtCsv(answer: PointInTime<DelegateMailboxAtItem>): string {
  return pointInTimeCsv(answer, 'mailbox', (i) => i.mailbox);
}

/** CSV of a mailbox's delegates at a past time, with the completeness. */
export function mailboxDelegatesAtCsv(answer: PointInTime<MailboxDelegateAtItem>): string {
  return pointInTimeCsv(answer, 'delegate', (i) => i.delegate);
}
