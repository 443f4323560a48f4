import { classifyTrustee, splitAccessRights } from './trustee.js';
import {
  RIGHTS,
  type MailboxRightsSnapshot,
  type RawAce,
  type RawCalendarPermission,
  type Right,
  type TrusteeKey,
} from './types.js';

/** A right that a row grants (or explicitly denies) to a trustee still to be resolved. */
export interface TrusteeGrant {
  right: Right;
  key: TrusteeKey;
  effect: 'allow' | 'deny';
}

export interface TrusteeGrants {
  grants: TrusteeGrant[];
  /** Rights of `snapshot.rights` whose rows were read; only these are observed. */
  observedRights: Right[];
  /** Distinct bare directory SIDs (deleted trustees), upper-cased. */
  orphanedSids: string[];
  /**
   * Rows read for a synced right that grant nothing: inherited, self, system, other rights, non-delegate calendar
   * roles.
   */
  dropped: number;
}

/** The trustee plan of one mailbox: what to resolve, and what was set aside. */
export interface TrusteePlan {
  /** Unique, sorted keys to resolve (allows and non-inherited denies). */
  keys: TrusteeKey[];
  /** Distinct orphaned SIDs (deleted trustees): counted on the run, never stored. */
  orphaned: number;
  dropped: number;
}

/** Lower-cased: the only calendar roles that make someone a delegate (the rest are sharing, not delegation). */
const CALENDAR_DELEGATE_ROLES = new Set(['delegatewithprivateeventaccess', 'delegatewithoutprivateeventaccess']);
/** Graph ids of the built-in calendar entries: base64 of "Default" (My Organization) and "Anonymous". */
const BUILT_IN_CALENDAR_IDS = new Set(['RGVmYXVsdA==', 'QW5vbnltb3Vz']);

class GrantCollector {
  readonly grants: TrusteeGrant[] = [];
  readonly orphanedSids = new Set<string>();
  dropped = 0;

  constructor(private readonly snapshot: MailboxRightsSnapshot) {}

  aces(right: Right, rows: readonly RawAce[]): void {
    for (const row of rows) {
      // Inherited rows come from the organization (admin role groups, SYSTEM), never from a delegation.
      const grantsRight = splitAccessRights(row.accessRights).some((r) => r.toLowerCase() === right.toLowerCase());
      if (row.isInherited || !grantsRight) {
        this.dropped++;
        continue;
      }
      this.trustee(right, row.trustee, row.trusteeSid, row.deny ? 'deny' : 'allow');
    }
  }

  names(right: Right, names: readonly string[]): void {
    for (const name of names) this.trustee(right, name, undefined, 'allow');
  }

  calendar(right: Right, entries: readonly RawCalendarPermission[]): void {
    for (const entry of entries) {
      const address = entry.emailAddress?.address?.trim();
      const isDelegate = CALENDAR_DELEGATE_ROLES.has(entry.role.toLowerCase());
      if (!isDelegate || !address || BUILT_IN_CALENDAR_IDS.has(entry.id)) {
        this.dropped++;
        continue;
      }
      this.trustee(right, address, undefined, 'allow');
    }
  }

  private trustee(right: Right, trustee: string, sid: string | undefined, effect: TrusteeGrant['effect']): void {
    const found = classifyTrustee(trustee, sid, this.snapshot.mailbox);
    if (found === 'orphanedSid') this.orphanedSids.add(trustee.trim().toUpperCase());
    else if (found === 'self' || found === 'system') this.dropped++;
    else this.grants.push({ right, key: found.key, effect });
  }
}

function rowsOf(snapshot: MailboxRightsSnapshot, right: Right): readonly unknown[] | undefined {
  switch (right) {
    case 'FullAccess':
      return snapshot.fullAccess;
    case 'SendAs':
      return snapshot.sendAs;
    case 'SendOnBehalf':
      return snapshot.sendOnBehalfNames;
    case 'CalendarDelegate':
      return snapshot.calendar;
  }
}

/**
 * Applies DESIGN §6 to the raw rows of one mailbox: which trustees grant (or deny) which synced right.
 * Shared by `planTrustees` and `computeEffectiveDelegations` so both read the rows the same way.
 */
export function collectTrusteeGrants(snapshot: MailboxRightsSnapshot): TrusteeGrants {
  // A synced right whose rows were not read is unobserved, not empty: treating it as empty would revoke everything.
  const observedRights = RIGHTS.filter((r) => snapshot.rights.includes(r) && rowsOf(snapshot, r) !== undefined);
  const collector = new GrantCollector(snapshot);
  for (const right of observedRights) {
    switch (right) {
      case 'FullAccess':
        collector.aces(right, snapshot.fullAccess ?? []);
        break;
      case 'SendAs':
        collector.aces(right, snapshot.sendAs ?? []);
        break;
      case 'SendOnBehalf':
        collector.names(right, snapshot.sendOnBehalfNames ?? []);
        break;
      case 'CalendarDelegate':
        collector.calendar(right, snapshot.calendar ?? []);
        break;
    }
  }
  return {
    grants: collector.grants,
    observedRights,
    orphanedSids: [...collector.orphanedSids].sort(),
    dropped: collector.dropped,
  };
}

/** Lists the trustee keys of one mailbox that must be resolved before its delegations can be computed. */
export function planTrustees(snapshot: MailboxRightsSnapshot): TrusteePlan {
  const { grants, orphanedSids, dropped } = collectTrusteeGrants(snapshot);
  const keys = [...new Set(grants.map((g) => g.key))].sort();
  return { keys, orphaned: orphanedSids.length, dropped };
}
