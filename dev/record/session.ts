import { randomBytes } from 'node:crypto';
import { pathSegment } from '../../shared/adapters/microsoft/index.js';
import type { DirectoryObject, GraphGroup, MailboxPermissionRow, MailboxRow } from '../../shared/ports/microsoft.js';
import type { TrafficCapture } from './capture.js';
import type { PendingCall, RecordingManifest } from './format.js';
import { RUN_MAILBOX_FIELDS, runOperation, type Clients, type Invocation, type OperationResult } from './operations.js';

export interface SessionOptions {
  /** Group to read (object id); default: the first group of the tenant, preferably one synced from AD. */
  group?: string;
  /** Mailbox to read (UPN); default: the first mailbox of the tenant. */
  mailbox?: string;
  /** Pages read of paged calls (transitive members); tenant-wide cmdlets always stop after one. */
  maxPages: number;
  log: (line: string) => void;
}

export interface SessionResult {
  calls: PendingCall[];
  skipped: RecordingManifest['skipped'];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USER_SELECT = 'id,displayName,userPrincipalName,mail,accountEnabled';

function describe(result: OperationResult): string {
  const o = result.outcome;
  if (!o.ok) return `${o.code}`;
  const items = o.items ? ` [${o.items.map((i) => (i.ok ? `ok ${i.count}` : i.code)).join(', ')}]` : '';
  return `ok, ${o.count}${o.pages !== undefined ? ` in ${o.pages} page(s)` : ''}${items}`;
}

/** A trustee the product would resolve by Name (not an address, SID, GUID or system principal). */
function trusteeName(rows: readonly MailboxPermissionRow[]): string | undefined {
  const byName = (user: string): boolean =>
    !user.includes('@') && !/^S-1-/i.test(user) && !/^nt authority\\/i.test(user) && !GUID.test(user);
  return rows.find((r) => !r.IsInherited && byName(r.User))?.User;
}

/**
 * Makes each kind of call the product makes, once or a few times, against whatever tenant the clients
 * point at, and keeps the traffic per call. Reads only (the capture refuses anything else).
 */
export async function recordSession(
  clients: Clients,
  capture: TrafficCapture,
  opts: SessionOptions,
): Promise<SessionResult> {
  const calls: PendingCall[] = [];
  const skipped: SessionResult['skipped'] = [];
  type Extra = Pick<PendingCall, 'purpose' | 'expect'>;
  const record = async (invocation: Invocation, extra: Extra = {}): Promise<OperationResult> => {
    const index = calls.length;
    capture.call = index;
    const result = await runOperation(clients, invocation);
    const exchanges = capture.exchanges.filter((x) => x.call === index);
    calls.push({ ...invocation, ...extra, outcome: result.outcome, exchanges });
    opts.log(`  ${String(index + 1).padStart(2)} ${invocation.operation}: ${describe(result)}`);
    return result;
  };

  // Exchange: the diagnostics probe, the tenant-wide pass of a run, then one mailbox the way syncMailbox reads it.
  const probe = 'the diagnostics probe (Get-Mailbox -ResultSize 1)';
  await record({ operation: 'exchange.anyMailbox', args: [] }, { purpose: probe });
  const list = await record(
    { operation: 'exchange.listMailboxes', args: [[...RUN_MAILBOX_FIELDS]], maxPages: 1 },
    { purpose: 'first page of the tenant-wide Get-Mailbox' },
  );
  const listed = (list.value as Array<Partial<MailboxRow>> | undefined) ?? [];
  const upnOf = (r: Partial<MailboxRow>): string[] =>
    r.ExternalDirectoryObjectId && r.UserPrincipalName ? [r.UserPrincipalName] : [];
  const upns = listed.flatMap(upnOf);
  const mailboxUpn = opts.mailbox ?? upns[0];
  const otherUpn = upns.find((upn) => upn.toLowerCase() !== mailboxUpn?.toLowerCase()) ?? mailboxUpn;
  let mailbox: MailboxRow | undefined;
  let notFound = `no.such.mailbox.${randomBytes(4).toString('hex')}@example.com`;
  if (mailboxUpn) {
    mailbox = (await record({ operation: 'exchange.getMailbox', args: [mailboxUpn] })).value as MailboxRow | undefined;
    const domain = (mailbox?.PrimarySmtpAddress ?? mailboxUpn).split('@')[1];
    if (domain) notFound = notFound.replace('example.com', domain);
    const read = await record({ operation: 'exchange.getMailboxPermission', args: [mailboxUpn] });
    const permissions = read.value as MailboxPermissionRow[] | undefined;
    await record({ operation: 'exchange.getRecipientPermission', args: [mailboxUpn] });
    const recipient = trusteeName(permissions ?? []) ?? mailbox?.Name;
    if (recipient) {
      const purpose = 'a trustee named by its recipient Name';
      await record({ operation: 'exchange.getRecipient', args: [recipient] }, { purpose });
    }
  } else {
    skipped.push({ what: 'per-mailbox Exchange calls', reason: 'the tenant lists no mailbox' });
  }
  await record(
    { operation: 'exchange.getRecipientPermissionsTenantWide', args: [], maxPages: 1 },
    { purpose: 'first page of the tenant-wide SendAs pass' },
  );
  const batchCommands = [
    ...(otherUpn ? [{ cmdlet: 'Get-MailboxPermission', parameters: { Identity: otherUpn } }] : []),
    { cmdlet: 'Get-Mailbox', parameters: { Identity: notFound } },
  ];
  await record({ operation: 'exchange.batch', args: [batchCommands] }, { purpose: 'one $batch, one item failing' });
  await record(
    { operation: 'exchange.getMailboxPermission', args: [notFound] },
    { purpose: 'a mailbox that does not exist: the error form', expect: 'notFound' },
  );

  // Graph: the target group by each key a task may name, its members, then users and calendars.
  const groupId = opts.group ?? (await discoverGroup(clients, capture));
  let members: DirectoryObject[] = [];
  if (groupId) {
    const group = (await record({ operation: 'graph.getGroup', args: [groupId] })).value as GraphGroup | undefined;
    if (group?.mail) await record({ operation: 'graph.findGroupsByMail', args: [group.mail] });
    const sam = group?.onPremisesSamAccountName ?? group?.displayName;
    if (sam) {
      const purpose = 'advanced query (a target given as a DN)';
      await record({ operation: 'graph.findGroupsBySamAccountName', args: [sam] }, { purpose });
    }
    if (group?.displayName) {
      await record({ operation: 'graph.findGroupsByDisplayName', args: [group.displayName] });
      await record({ operation: 'graph.searchGroups', args: [group.displayName, 5] }, { purpose: 'the group picker' });
    }
    const read = await record({ operation: 'graph.transitiveMembers', args: [groupId], maxPages: opts.maxPages });
    members = (read.value as DirectoryObject[] | undefined) ?? [];
    // expandTarget asks Exchange which members have a mailbox: guests, mail users and on-premises ones do not.
    const listedIds = new Set(listed.map((r) => r.ExternalDirectoryObjectId?.toLowerCase()));
    const memberUsers = members.filter((m) => m.kind === 'user');
    const outside = memberUsers.filter((m) => !listedIds.has(m.id.toLowerCase())).slice(0, 3);
    const sample = [...new Set([...memberUsers.slice(0, 10 - outside.length), ...outside].map((m) => m.id))];
    if (sample.length > 0) {
      const purpose = 'which members have a mailbox ($batch of Get-Mailbox)';
      await record({ operation: 'exchange.getMailboxes', args: [sample] }, { purpose });
    }
  } else {
    skipped.push({ what: 'group calls', reason: 'the tenant lists no group' });
  }
  const mailboxId = mailbox?.ExternalDirectoryObjectId ?? undefined;
  if (mailboxId && mailboxUpn) {
    await record({ operation: 'graph.getUser', args: [mailboxId] });
    await record({ operation: 'graph.getUser', args: [mailboxUpn] });
    await record({ operation: 'graph.findUserByMail', args: [mailbox?.PrimarySmtpAddress ?? mailboxUpn] });
    await record({ operation: 'graph.calendarPermissions', args: [mailboxId] });
  }
  const listedIds = new Set(listed.map((r) => r.ExternalDirectoryObjectId?.toLowerCase()));
  const users = members.filter((m) => m.kind === 'user');
  const withoutMailbox = users.find((m) => m.mail === null) ?? users.find((m) => !listedIds.has(m.id.toLowerCase()));
  if (withoutMailbox) {
    const purpose = 'a member without a mailbox (fails, if the tenant has one)';
    await record({ operation: 'graph.calendarPermissions', args: [withoutMailbox.id] }, { purpose });
  } else {
    const what = 'calendarPermissions of a user without a mailbox';
    skipped.push({ what, reason: 'no such member in the pages read' });
  }
  const otherUser = users.find((u) => u.id !== mailboxId && listedIds.has(u.id.toLowerCase()))?.id;
  const batchUsers = [mailboxId, otherUser].filter((id): id is string => !!id);
  if (batchUsers.length > 0) {
    const requests = [
      ...batchUsers.map((id) => ({ url: `/users/${pathSegment(id)}/calendar/calendarPermissions` })),
      { url: `/users/${pathSegment(batchUsers[0] ?? '')}?$select=${USER_SELECT}` },
    ];
    await record({ operation: 'graph.batch', args: [requests] }, { purpose: 'one $batch' });
  }
  return { calls, skipped };
}

/** The group to read when none is named: one synced from AD if the first page has one (unrecorded lookup). */
async function discoverGroup(clients: Clients, capture: TrafficCapture): Promise<string | undefined> {
  capture.paused = true;
  try {
    for await (const page of clients.graph.listGroups()) {
      const best = page.find((g) => g.onPremisesSamAccountName && g.mail) ?? page.find((g) => g.mail) ?? page[0];
      return best?.id;
    }
    return undefined;
  } finally {
    capture.paused = false;
  }
}
