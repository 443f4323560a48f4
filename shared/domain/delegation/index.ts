/**
 * Mailbox delegation, pure: read raw rows → `planTrustees` (keys to resolve) → resolve and expand groups
 * (I/O, outside) → `computeEffectiveDelegations` → `diffDelegations` against stored rows → write.
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
export { diffDelegations, applyDelegationDiff } from './diff.js';
export type { DelegationDiff, DiffOptions } from './diff.js';
export {
  delegationKey,
  keyOf,
  normalizeVias,
  sameVias,
  sameDelegateDisplay,
  compareDelegations,
  compareVias,
} from './identity.js';
