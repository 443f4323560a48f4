/**
 * Mailbox delegation, pure: read raw rows → `planTrustees` (keys to resolve) → resolve and expand groups
 * (I/O, outside) → `computeEffectiveDelegations` → `planMailboxSync` against stored rows → apply (outside).
 */
export * from './types.js';
export { splitAccessRights, classifyTrustee, describeTrusteeKey } from './trustee.js';
export type { TrusteeClass, TrusteeKeyKind } from './trustee.js';
export { collectTrusteeGrants, planTrustees } from './grants.js';
export type { TrusteeGrant, TrusteeGrants, TrusteePlan } from './grants.js';
export { computeEffectiveDelegations } from './effective.js';
export { decideRevocationHold, readsSuspiciouslyEmpty, MIN_REVOCATIONS_TO_HOLD } from './hold.js';
export type { HoldDecision, RightTally } from './hold.js';
export type { EffectiveDelegations, UnresolvedTrustee } from './effective.js';
export { diffDelegations } from './diff.js';
export { attributeSyncPlan, attributingHint, hintNames, lateAttributions } from './attribution.js';
export type { AttributionHint, LateAttribution } from './attribution.js';
export type { DelegationDiff, DiffOptions } from './diff.js';
export { IncompleteObservationError, observationDigest, planMailboxSync } from './plan.js';
export type {
  MailboxSyncPlan,
  RevocationProposal,
  StoredMailbox,
  SyncContext,
  SyncCounts,
  SyncRevocationReason,
} from './plan.js';
export {
  delegationKey,
  keyOf,
  normalizeVias,
  sameVias,
  sameDelegateDisplay,
  compareDelegations,
  compareVias,
} from './identity.js';
