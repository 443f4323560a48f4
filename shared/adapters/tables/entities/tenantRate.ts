import { z } from 'zod';
import type { MeteredService, SharedRateState } from '../../../domain/pacing.js';
import { assertKey } from '../keys.js';
import { instant, readEntity, storedNumber } from '../entityFields.js';
import type { Entity } from '../tableStore.js';

const positive = storedNumber.pipe(z.number().positive('is not positive'));

/** A tenant's shared rate for one service: partition = tenant id, row = service. */
const tenantRateEntity = z.object({
  perSecond: positive,
  congestedAtPerSecond: positive.optional(),
  decreasedAt: instant.optional(),
  updatedAt: instant,
});

/** Maps a shared rate to its entity (instants as ISO text, as every other entity keeps them). */
export function toTenantRateEntity(tenantId: string, service: MeteredService, rate: SharedRateState): Entity {
  return {
    partitionKey: assertKey(tenantId, 'tenant id'),
    rowKey: service,
    perSecond: rate.perSecond,
    ...(rate.congestedAtPerSecond !== undefined ? { congestedAtPerSecond: rate.congestedAtPerSecond } : {}),
    ...(rate.decreasedAt !== undefined ? { decreasedAt: new Date(rate.decreasedAt).toISOString() } : {}),
    updatedAt: new Date(rate.updatedAt).toISOString(),
  };
}

/** Maps an entity back to a shared rate; a missing or unreadable property is a CorruptEntityError. */
export function fromTenantRateEntity(e: Record<string, unknown>): SharedRateState {
  const stored = readEntity('TenantRates', tenantRateEntity, e);
  return {
    perSecond: stored.perSecond,
    ...(stored.congestedAtPerSecond !== undefined ? { congestedAtPerSecond: stored.congestedAtPerSecond } : {}),
    ...(stored.decreasedAt !== undefined ? { decreasedAt: Date.parse(stored.decreasedAt) } : {}),
    updatedAt: Date.parse(stored.updatedAt),
  };
}
