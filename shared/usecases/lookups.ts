import type { Repositories } from '../ports/services.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { changeEvent, RIGHTS, type Right, type Source, type Via } from '../domain/delegation/types.js';
import { toCsv } from '../domain/csv.js';
import type { DelegationEvent, DelegationRow, MailboxRef } from '../ports/delegations.js';
import type { DirectoryUser } from '../ports/directory.js';
import type { DirectoryPort, GraphUser } from '../ports/microsoft.js';
import type { AlertRaiser } from '../ports/alerts.js';

export interface LookupDeps {
  repos: Repositories;
  now: () => Date;
}

/** Manual delegations may name anyone in the tenant: what the directory table lacks is read from Graph. */
export interface ManualDelegationDeps extends LookupDeps {
  microsoft: () => { graph: Pick<DirectoryPort, 'getUser' | 'findUserByMail'> };
  /** Alert rules fire on manual grants too (docs/design.md §8.5). */
  alerts: { raiser: AlertRaiser };
}

export interface RightView {
  right: Right;
  source: Source;
  via: Via[];
  firstSeen: string;
  lastConfirmed: string;
  /** Who granted it and when, where known (an audit record, or the admin of a Manual delegation). */
  grantedBy: string | null;
  grantedAt: string | null;
  /** The last time a sync read this right of the mailbox and found it (synced rows only; null when not known). */
  lastVerified: string | null;
}

export interface DelegateMailboxItem {
  mailbox: MailboxRef;
  rights: RightView[];
}

export interface MailboxDelegateItem {
  delegate: { id: string; address: string; displayName: string; accountEnabled: boolean | null; upn: string };
  rights: RightView[];
}

const rightOrder = (r: Right) => RIGHTS.indexOf(r);

/** When each mailbox's rights were last verified: mailbox id (lower-cased) → right → time. */
type VerifiedTimes = ReadonlyMap<string, Partial<Record<Right, string>>>;

/**
 * A row as lookups show it. `lastVerified` is the later of the mailbox's verified time for the right (a sync that
 * read it unchanged writes no row, docs/design.md §8.4) and the row's `lastConfirmed` (the read that wrote it); a
 * Manual row is never read from Exchange, so it has none.
 */
function rightView(d: DelegationRow, verified: VerifiedTimes = new Map()): RightView {
  const read = verified.get(d.mailbox.id.toLowerCase())?.[d.right];
  const lastVerified =
    d.source === 'Manual' ? null : read && Date.parse(read) > Date.parse(d.lastConfirmed) ? read : d.lastConfirmed;
  return {
    right: d.right,
    source: d.source,
    via: d.via,
    firstSeen: d.firstSeen,
    lastConfirmed: d.lastConfirmed,
    grantedBy: d.grantedBy,
    grantedAt: d.grantedAt,
    lastVerified,
  };
}

/** The verified times of the mailboxes the synced rows are on: one point read per mailbox, in parallel. */
async function verifiedTimes(deps: LookupDeps, rows: readonly DelegationRow[]): Promise<VerifiedTimes> {
  const ids = rows.filter((d) => d.source === 'MailboxPermissionSync').map((d) => d.mailbox.id);
  return ids.length === 0 ? new Map() : deps.repos.delegations.lastVerified(ids);
}

function sortRights(list: RightView[]): RightView[] {
  return list.sort((a, b) => rightOrder(a.right) - rightOrder(b.right) || a.source.localeCompare(b.source));
}

/** Resolves a path segment (UPN, SMTP address or object id) to a known user; 404 otherwise. */
export async function findUser(
  deps: LookupDeps,
  value: string,
  what: 'user' | 'mailbox' = 'user',
): Promise<DirectoryUser> {
  const user = value.length <= 320 ? await deps.repos.directory.find(value) : undefined;
  if (!user) throw unknown(what, value);
  return user;
}

function unknown(what: 'user' | 'mailbox', value: string): NotFoundError {
  return new NotFoundError(
    what === 'user' ? 'USER.NOT_FOUND' : 'MAILBOX.NOT_FOUND',
    `No ${what} '${value.slice(0, 320)}' is known; it may not have been synced yet`,
  );
}

function groupByMailbox(rows: DelegationRow[], verified: VerifiedTimes): DelegateMailboxItem[] {
  const byMailbox = new Map<string, DelegateMailboxItem>();
  for (const row of rows) {
    const item = byMailbox.get(row.mailbox.id) ?? { mailbox: row.mailbox, rights: [] };
    item.rights.push(rightView(row, verified));
    byMailbox.set(row.mailbox.id, item);
  }
  return [...byMailbox.values()]
    .map((i) => ({ ...i, rights: sortRights(i.rights) }))
    .sort(
      (a, b) => a.mailbox.displayName.localeCompare(b.mailbox.displayName) || a.mailbox.id.localeCompare(b.mailbox.id),
    );
}

/**
 * A lookup's rows by UPN, SMTP address or object id, with as few reads as the answer needs: an address costs its
 * index entry and the partition query; an object id only the query, unless it has no rows, when the directory
 * tells a known user with nothing to show (200, empty) from an unknown one (404).
 */
async function rowsOf(
  deps: LookupDeps,
  value: string,
  what: 'user' | 'mailbox',
  read: (id: string) => Promise<DelegationRow[]>,
): Promise<DelegationRow[]> {
  const resolved = value.length <= 320 ? await deps.repos.directory.resolveId(value) : undefined;
  if (!resolved) throw unknown(what, value);
  const rows = await read(resolved.id);
  if (rows.length === 0 && !resolved.known && !(await deps.repos.directory.find(resolved.id)))
    throw unknown(what, value);
  return rows;
}

/** The mailboxes a user (UPN, SMTP address or object id) can access; 404 for an unknown user. */
export async function delegateMailboxesFor(deps: LookupDeps, user: string): Promise<DelegateMailboxItem[]> {
  const rows = await rowsOf(deps, user, 'user', (id) => deps.repos.delegations.forDelegate(id));
  return groupByMailbox(rows, await verifiedTimes(deps, rows));
}

/** Who can access a mailbox (address or object id); 404 for an unknown one. */
export async function delegatesFor(deps: LookupDeps, mailbox: string): Promise<MailboxDelegateItem[]> {
  const rows = await rowsOf(deps, mailbox, 'mailbox', (id) => deps.repos.delegations.forMailbox(id));
  return groupByDelegate(rows, await verifiedTimes(deps, rows));
}

/** The mailboxes a user can access (one partition query), grouped by mailbox. */
export async function delegateMailboxesOf(deps: LookupDeps, userId: string): Promise<DelegateMailboxItem[]> {
  const rows = await deps.repos.delegations.forDelegate(userId);
  return groupByMailbox(rows, await verifiedTimes(deps, rows));
}

/** Rows of one mailbox grouped by delegate, rights in a fixed order, delegates by name. */
function groupByDelegate(rows: DelegationRow[], verified: VerifiedTimes): MailboxDelegateItem[] {
  const byDelegate = new Map<string, MailboxDelegateItem>();
  for (const row of rows) {
    const item = byDelegate.get(row.delegate.id) ?? {
      delegate: {
        id: row.delegate.id,
        upn: row.delegate.upn,
        address: row.delegate.address,
        displayName: row.delegate.displayName,
        accountEnabled: row.delegate.accountEnabled ?? null,
      },
      rights: [],
    };
    item.rights.push(rightView(row, verified));
    byDelegate.set(row.delegate.id, item);
  }
  return [...byDelegate.values()]
    .map((i) => ({ ...i, rights: sortRights(i.rights) }))
    .sort(
      (a, b) =>
        a.delegate.displayName.localeCompare(b.delegate.displayName) || a.delegate.id.localeCompare(b.delegate.id),
    );
}

function viaText(via: Via[]): string {
  return via.map((v) => (v.kind === 'direct' ? 'direct' : `group:${v.displayName} (${v.id})`)).join('; ');
}

/** Who granted a right and when, and when it was last verified: empty cells where not known. */
const GRANT_COLUMNS = ['grantedBy', 'grantedAt', 'lastVerified'] as const;

function grantCells(r: RightView): string[] {
  return [r.grantedBy ?? '', r.grantedAt ?? '', r.lastVerified ?? ''];
}

/** CSV export of a user's delegate mailboxes: one line per (mailbox, right, source). */
export function delegateMailboxesCsv(items: DelegateMailboxItem[]): string {
  return toCsv(
    [
      'mailboxId',
      'mailboxAddress',
      'mailboxDisplayName',
      'right',
      'source',
      'via',
      'firstSeen',
      'lastConfirmed',
      ...GRANT_COLUMNS,
    ],
    items.flatMap((i) =>
      i.rights.map((r) => [
        i.mailbox.id,
        i.mailbox.address,
        i.mailbox.displayName,
        r.right,
        r.source,
        viaText(r.via),
        r.firstSeen,
        r.lastConfirmed,
        ...grantCells(r),
      ]),
    ),
  );
}

/** CSV export of a mailbox's delegates. */
export function mailboxDelegatesCsv(items: MailboxDelegateItem[]): string {
  return toCsv(
    [
      'delegateId',
      'delegateAddress',
      'delegateDisplayName',
      'accountEnabled',
      'right',
      'source',
      'via',
      'firstSeen',
      'lastConfirmed',
      ...GRANT_COLUMNS,
    ],
    items.flatMap((i) =>
      i.rights.map((r) => [
        i.delegate.id,
        i.delegate.address,
        i.delegate.displayName,
        i.delegate.accountEnabled === null ? '' : String(i.delegate.accountEnabled),
        r.right,
        r.source,
        viaText(r.via),
        r.firstSeen,
        r.lastConfirmed,
        ...grantCells(r),
      ]),
    ),
  );
}

/**
 * A user or mailbox of the tenant by object id, UPN or SMTP address: the directory table's copy when it has one
 * (for a mailbox, one known to have a mailbox), else Graph's (`/users/{id | upn}`, then `mail` / proxyAddresses),
 * which is then added to the directory. 404 only when the tenant has no such user; a mailbox must have mail.
 */
export async function findInTenant(
  deps: Pick<ManualDelegationDeps, 'repos' | 'microsoft'>,
  value: string,
  what: 'user' | 'mailbox',
): Promise<DirectoryUser> {
  const known = await deps.repos.directory.find(value);
  if (known && (what === 'user' || known.hasMailbox)) return known;
  const { graph } = deps.microsoft();
  const found = (await graph.getUser(value)) ?? (value.includes('@') ? await graph.findUserByMail(value) : undefined);
  if (!found) {
    const code = what === 'user' ? 'USER.NOT_FOUND' : 'MAILBOX.NOT_FOUND';
    throw new NotFoundError(code, `No ${what} '${value.slice(0, 320)}' exists in the tenant`);
  }
  if (what === 'mailbox' && !found.mail) {
    const why = 'is a user without a mailbox (no mail address)';
    throw new ValidationError('MAILBOX.NOT_A_MAILBOX', `'${value}' ${why}`, [{ path: 'mailbox', message: why }]);
  }
  const entry = directoryEntry(found, what === 'mailbox');
  await deps.repos.directory.upsert([entry]);
  return entry;
}

function directoryEntry(user: GraphUser, isMailbox: boolean): DirectoryUser {
  return {
    id: user.id.toLowerCase(),
    upn: user.userPrincipalName,
    address: user.mail ?? user.userPrincipalName,
    displayName: user.displayName ?? user.userPrincipalName,
    ...(typeof user.accountEnabled === 'boolean' ? { accountEnabled: user.accountEnabled } : {}),
    // A delegate's entry leaves hasMailbox as it is (the directory merges).
    ...(isMailbox ? { hasMailbox: true } : {}),
  };
}

/**
 * Adds Manual delegations (history: granted, source Manual) for any user and mailbox of the tenant, synced or not;
 * rights the user already holds manually are kept as they are.
 */
export async function addManualDelegation(
  deps: ManualDelegationDeps,
  userValue: string,
  mailboxValue: string,
  rights: Right[],
  actor: string,
): Promise<DelegateMailboxItem> {
  const user = await findInTenant(deps, userValue, 'user');
  const mailbox = await findInTenant(deps, mailboxValue, 'mailbox');
  if (mailbox.id === user.id)
    throw new ValidationError('DELEGATION.SELF', 'A user cannot be a delegate of their own mailbox', [
      { path: 'mailbox', message: 'is the user’s own mailbox' },
    ]);
  const at = deps.now().toISOString();
  const mailboxRef: MailboxRef = { id: mailbox.id, address: mailbox.address, displayName: mailbox.displayName };
  const existing = (await deps.repos.delegations.forMailbox(mailbox.id)).filter(
    (d) => d.delegate.id === user.id && d.source === 'Manual',
  );
  const delegate = {
    id: user.id,
    upn: user.upn,
    address: user.address,
    displayName: user.displayName,
    ...(user.accountEnabled === undefined ? {} : { accountEnabled: user.accountEnabled }),
  };
  const upsert: DelegationRow[] = [...new Set(rights)]
    .filter((r) => !existing.some((d) => d.right === r))
    .map((right) => ({
      mailboxId: mailbox.id,
      mailbox: mailboxRef,
      delegate,
      right,
      via: [{ kind: 'direct' }],
      source: 'Manual',
      firstSeen: at,
      lastConfirmed: at,
      grantedBy: actor,
      grantedAt: at,
    }));
  const events = upsert.map((d) =>
    changeEvent('granted', mailboxRef, d, { runId: null, taskId: null, at, actor, observedBy: 'manual' }),
  );
  // Before the write, as in a sync: a failure after it leaves no grant unannounced.
  await deps.alerts.raiser.raise(events);
  await deps.repos.delegations.apply(
    { mailbox: mailboxRef, upsert, remove: [], events },
    { taskId: null, runId: null, at, eventScope: `manual_${at}` },
  );
  const rows = (await deps.repos.delegations.forMailbox(mailbox.id)).filter((d) => d.delegate.id === user.id);
  const verified = await verifiedTimes(deps, rows);
  return { mailbox: mailboxRef, rights: sortRights(rows.map((row) => rightView(row, verified))) };
}

/** Removes a user's Manual delegations on a mailbox; synced ones cannot be removed here (409 with the reason). */
export async function removeManualDelegation(
  deps: LookupDeps,
  userValue: string,
  mailboxValue: string,
  actor: string,
  right?: Right,
): Promise<void> {
  const user = await findUser(deps, userValue, 'user');
  const mailbox = await findUser(deps, mailboxValue, 'mailbox');
  const rows = (await deps.repos.delegations.forMailbox(mailbox.id)).filter(
    (d) => d.delegate.id === user.id && (!right || d.right === right),
  );
  const manual = rows.filter((d) => d.source === 'Manual');
  if (manual.length === 0) {
    const synced = rows.filter((d) => d.source === 'MailboxPermissionSync');
    if (synced.length > 0) {
      const what = synced.map((d) => `${d.right} (${viaText(d.via)})`).join(', ');
      throw new ConflictError(
        'DELEGATION.SYNCED',
        `${user.displayName}'s ${what} on ${mailbox.displayName} comes from Exchange Online and will return on ` +
          'the next sync; remove it in Exchange (e.g. Remove-MailboxPermission / Remove-RecipientPermission / ' +
          "Set-Mailbox -GrantSendOnBehalfTo, or the calendar's permissions) instead",
      );
    }
    throw new NotFoundError(
      'DELEGATION.NOT_FOUND',
      `${user.displayName} has no manual delegation on ${mailbox.displayName}`,
    );
  }
  const at = deps.now().toISOString();
  const mailboxRef: MailboxRef = { id: mailbox.id, address: mailbox.address, displayName: mailbox.displayName };
  const events = manual.map((d) =>
    changeEvent('revoked', mailboxRef, d, { runId: null, taskId: null, at, actor, observedBy: 'manual' }),
  );
  await deps.repos.delegations.apply(
    { mailbox: mailboxRef, upsert: [], remove: manual, events },
    { taskId: null, runId: null, at, eventScope: `manual_${at}` },
  );
}

export interface ChangeQuery {
  since?: string;
  mailbox?: string;
  delegate?: string;
  top: number;
  continuationToken?: string;
}

const MAX_DAYS = 366;
const DAY_MS = 86_400_000;

/**
 * History of grants and revocations, newest first, filtered by time, mailbox and delegate (values resolved to ids).
 * One page is one key-range read of the history, however many events a day holds.
 */
export async function delegationChanges(
  deps: LookupDeps,
  query: ChangeQuery,
): Promise<{ items: DelegationEvent[]; continuationToken: string | null }> {
  const now = deps.now();
  const since = query.since ? new Date(query.since) : new Date(now.getTime() - 30 * DAY_MS);
  if (Number.isNaN(since.getTime()))
    throw new ValidationError('REQUEST.INVALID', 'since must be an ISO 8601 date-time', [
      { path: 'since', message: 'must be an ISO 8601 date-time' },
    ]);
  const floor = new Date(Math.max(since.getTime(), now.getTime() - MAX_DAYS * DAY_MS));
  const mailboxId = query.mailbox ? (await findUser(deps, query.mailbox, 'mailbox')).id : undefined;
  const delegateId = query.delegate ? (await findUser(deps, query.delegate, 'user')).id : undefined;
  return deps.repos.delegations.changes({
    since: floor.toISOString(),
    top: query.top,
    ...(mailboxId ? { mailboxId } : {}),
    ...(delegateId ? { delegateId } : {}),
    ...(query.continuationToken ? { continuationToken: query.continuationToken } : {}),
  });
}
