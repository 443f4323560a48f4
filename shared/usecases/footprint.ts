import { toCsv } from '../domain/csv.js';
import type { Right, Source } from '../domain/delegation/types.js';
import type { MailboxRef } from '../ports/delegations.js';
import {
  type DelegateMailboxItem,
  delegateMailboxesOf,
  findUser,
  type LookupDeps,
  type MailboxDelegateItem,
  mailboxDelegatesOf,
  viaText,
} from './lookups.js';

/** What one trustee group gives the user: on which mailboxes, which rights. */
export interface GroupGrant {
  group: { id: string; displayName: string };
  mailboxes: Array<{ mailbox: MailboxRef; rights: Array<{ right: Right; source: Source }> }>;
}

/**
 * A user's footprint for offboarding: what the user can open, who holds rights on the user's own mailbox, and the
 * trustee groups through which the user holds any of the former.
 */
export interface Footprint {
  user: { id: string; upn: string; address: string; displayName: string };
  canOpen: DelegateMailboxItem[];
  onOwnMailbox: MailboxDelegateItem[];
  throughGroups: GroupGrant[];
}

/**
 * Groups `canOpen` by the trustee groups in its vias: each group with the mailboxes and rights it gives (a right
 * that also comes directly is listed under its group too: removing the user from the group does not remove it).
 */
function groupsOf(canOpen: DelegateMailboxItem[]): GroupGrant[] {
  const byGroup = new Map<string, GroupGrant>();
  for (const item of canOpen) {
    for (const r of item.rights) {
      for (const via of r.via) {
        if (via.kind !== 'group') continue;
        const grant = byGroup.get(via.id) ?? { group: { id: via.id, displayName: via.displayName }, mailboxes: [] };
        let onMailbox = grant.mailboxes.find((m) => m.mailbox.id === item.mailbox.id);
        if (!onMailbox) {
          onMailbox = { mailbox: item.mailbox, rights: [] };
          grant.mailboxes.push(onMailbox);
        }
        onMailbox.rights.push({ right: r.right, source: r.source });
        byGroup.set(via.id, grant);
      }
    }
  }
  return [...byGroup.values()].sort(
    (a, b) => a.group.displayName.localeCompare(b.group.displayName) || a.group.id.localeCompare(b.group.id),
  );
}

/**
 * A user's (UPN, SMTP address or object id) footprint: two partition reads, the user's rows by delegate and the
 * rows on the user's own mailbox (none when the user has no mailbox in the store). 404 for an unknown user.
 */
export async function footprintOf(deps: LookupDeps, value: string): Promise<Footprint> {
  const user = await findUser(deps, value, 'user');
  const [canOpen, onOwnMailbox] = await Promise.all([
    delegateMailboxesOf(deps, user.id),
    mailboxDelegatesOf(deps, user.id),
  ]);
  return {
    user: { id: user.id, upn: user.upn, address: user.address, displayName: user.displayName },
    canOpen,
    onOwnMailbox,
    throughGroups: groupsOf(canOpen),
  };
}

const HEADER = [
  'section',
  'mailboxId',
  'mailboxAddress',
  'mailboxDisplayName',
  'delegateId',
  'delegateAddress',
  'delegateDisplayName',
  'groupId',
  'groupDisplayName',
  'right',
  'source',
  'via',
  'firstSeen',
  'lastConfirmed',
] as const;

/** The footprint as one flat CSV table; `section` says which of the three lists a line belongs to. */
export function footprintCsv(footprint: Footprint): string {
  const { user } = footprint;
  const canOpen = footprint.canOpen.flatMap((i) =>
    i.rights.map((r) => [
      'canOpen',
      i.mailbox.id,
      i.mailbox.address,
      i.mailbox.displayName,
      user.id,
      user.address,
      user.displayName,
      '',
      '',
      r.right,
      r.source,
      viaText(r.via),
      r.firstSeen,
      r.lastConfirmed,
    ]),
  );
  const onOwn = footprint.onOwnMailbox.flatMap((i) =>
    i.rights.map((r) => [
      'onOwnMailbox',
      user.id,
      user.address,
      user.displayName,
      i.delegate.id,
      i.delegate.address,
      i.delegate.displayName,
      '',
      '',
      r.right,
      r.source,
      viaText(r.via),
      r.firstSeen,
      r.lastConfirmed,
    ]),
  );
  const groups = footprint.throughGroups.flatMap((g) =>
    g.mailboxes.flatMap((m) =>
      m.rights.map((r) => [
        'throughGroups',
        m.mailbox.id,
        m.mailbox.address,
        m.mailbox.displayName,
        user.id,
        user.address,
        user.displayName,
        g.group.id,
        g.group.displayName,
        r.right,
        r.source,
        `group:${g.group.displayName} (${g.group.id})`,
        '',
        '',
      ]),
    ),
  );
  return toCsv(HEADER, [...canOpen, ...onOwn, ...groups]);
}
