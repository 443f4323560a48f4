import { describe, expect, it } from 'vitest';
import {
  decideRevocationHold,
  MIN_REVOCATIONS_TO_HOLD,
  readsSuspiciouslyEmpty,
} from '../../shared/domain/delegation/hold.js';
import type { Right } from '../../shared/domain/delegation/types.js';

const none = new Map<Right, string>();

describe('decideRevocationHold (docs/design.md §8.2)', () => {
  it('holds a right whose revocations exceed the share of its stored delegations', () => {
    const decision = decideRevocationHold({ FullAccess: { proposed: 30, stored: 100 } }, 20, none);
    expect(decision.heldRights).toEqual(['FullAccess']);
    expect(decision.warnings[0]).toMatch(/revoke 30 of 100 stored FullAccess delegations .*30 %.*20 % hold threshold/);
  });

  it('applies a share at or under the threshold, and holds nothing with fewer than the minimum', () => {
    expect(decideRevocationHold({ FullAccess: { proposed: 20, stored: 100 } }, 20, none).heldRights).toEqual([]);
    const few = MIN_REVOCATIONS_TO_HOLD - 1;
    expect(decideRevocationHold({ SendAs: { proposed: few, stored: few } }, 20, none).heldRights).toEqual([]);
    expect(decideRevocationHold({ SendAs: { proposed: 10, stored: 10 } }, 20, none).heldRights).toEqual(['SendAs']);
  });

  it('decides each right on its own', () => {
    const decision = decideRevocationHold(
      { FullAccess: { proposed: 2, stored: 100 }, SendOnBehalf: { proposed: 40, stored: 50 } },
      20,
      none,
    );
    expect(decision.heldRights).toEqual(['SendOnBehalf']);
  });

  it('holds any revocation of a right whose tenant-wide pass was suspect, however few', () => {
    const suspect = new Map<Right, string>([['SendAs', "The pass matched none of the run's mailboxes"]]);
    const decision = decideRevocationHold({ SendAs: { proposed: 1, stored: 50 } }, 20, suspect);
    expect(decision.heldRights).toEqual(['SendAs']);
    expect(decision.warnings).toEqual([
      "The pass matched none of the run's mailboxes; the 1 SendAs revocations it would cause are held for review",
    ]);
  });

  it('holds nothing for a suspect right with nothing to revoke', () => {
    const suspect = new Map<Right, string>([['SendAs', 'suspect']]);
    expect(decideRevocationHold({ SendAs: { proposed: 0, stored: 50 } }, 20, suspect)).toEqual({
      heldRights: [],
      warnings: [],
    });
  });
});

describe('readsSuspiciouslyEmpty (docs/wire.md, Safety)', () => {
  it('flags a mailbox that reads nothing while it held at least the minimum', () => {
    expect(readsSuspiciouslyEmpty(0, MIN_REVOCATIONS_TO_HOLD)).toBe(true);
    expect(readsSuspiciouslyEmpty(0, MIN_REVOCATIONS_TO_HOLD - 1)).toBe(false);
    expect(readsSuspiciouslyEmpty(1, 50)).toBe(false);
  });
});
