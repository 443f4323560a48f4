import { RIGHTS, type Right } from './types.js';

/** Below this many revocations of one right, a run's share of revocations never holds them by itself. */
export const MIN_REVOCATIONS_TO_HOLD = 10;

/**
 * True when a mailbox observed no delegation at all in the rights it read while it had at least
 * MIN_REVOCATIONS_TO_HOLD synced ones stored in those rights: every right suddenly reading empty is more likely a
 * format or permission surprise than a real mass revocation (docs/wire.md, Safety).
 */
export function readsSuspiciouslyEmpty(observed: number, stored: number): boolean {
  return observed === 0 && stored >= MIN_REVOCATIONS_TO_HOLD;
}

/** Per right: revocations a run proposes, and the synced delegations its mailboxes had stored. */
export type RightTally = Partial<Record<Right, { proposed: number; stored: number }>>;

export interface HoldDecision {
  /** Rights whose proposed revocations are held for review. */
  heldRights: Right[];
  /** One readable reason per held right. */
  warnings: string[];
}

/**
 * Which rights' revocations a run must hold rather than apply (docs/design.md §8.2). A right is held when the run
 * would revoke more than `holdPercent` % of its stored synced delegations of that right (and at least
 * MIN_REVOCATIONS_TO_HOLD), or when its tenant-wide pass matched none of the run's mailboxes (`suspect`) and it
 * would revoke anything at all: both are more likely a format or permission surprise than a mass revocation.
 */
export function decideRevocationHold(
  tally: RightTally,
  holdPercent: number,
  suspect: ReadonlyMap<Right, string>,
): HoldDecision {
  const heldRights: Right[] = [];
  const warnings: string[] = [];
  for (const right of RIGHTS) {
    const { proposed, stored } = tally[right] ?? { proposed: 0, stored: 0 };
    if (proposed === 0) continue;
    const suspicion = suspect.get(right);
    if (suspicion !== undefined) {
      heldRights.push(right);
      warnings.push(`${suspicion}; the ${proposed} ${right} revocations it would cause are held for review`);
      continue;
    }
    const share = stored === 0 ? 100 : (proposed / stored) * 100;
    if (proposed >= MIN_REVOCATIONS_TO_HOLD && share > holdPercent) {
      heldRights.push(right);
      warnings.push(
        `The run would revoke ${proposed} of ${stored} stored ${right} delegations in its scope ` +
          `(${formatPercent(share)} %, above the ${holdPercent} % hold threshold); they are held for review`,
      );
    }
  }
  return { heldRights, warnings };
}

function formatPercent(share: number): string {
  return share >= 10 ? share.toFixed(0) : share.toFixed(1);
}
