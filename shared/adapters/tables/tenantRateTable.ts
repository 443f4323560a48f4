import type { MeteredService, SharedRateState } from '../../domain/pacing.js';
import type { Versioned } from '../../ports/repositories.js';
import type { TenantRateRepository } from '../../ports/tenantRates.js';
import { assertKey } from './keys.js';
import { fromTenantRateEntity, toTenantRateEntity } from './entities/tenantRate.js';
import type { TableStore } from './tableStore.js';

/** The shared rates: one row per tenant and service, written only under its ETag (or created once). */
export class TenantRateTable implements TenantRateRepository {
  constructor(private readonly store: TableStore) {}

  async get(tenantId: string, service: MeteredService): Promise<Versioned<SharedRateState> | undefined> {
    const e = await this.store.get(assertKey(tenantId, 'tenant id'), service);
    return e ? { value: fromTenantRateEntity(e), etag: e.etag } : undefined;
  }

  async create(tenantId: string, service: MeteredService, rate: SharedRateState): Promise<Versioned<SharedRateState>> {
    const etag = await this.store.insert(toTenantRateEntity(tenantId, service, rate));
    return { value: rate, etag };
  }

  async replace(
    tenantId: string,
    service: MeteredService,
    rate: SharedRateState,
    etag: string,
  ): Promise<Versioned<SharedRateState>> {
    const next = await this.store.update(toTenantRateEntity(tenantId, service, rate), etag);
    return { value: rate, etag: next };
  }
}
