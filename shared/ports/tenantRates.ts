import type { MeteredService, SharedRateState } from '../domain/pacing.js';
import type { Versioned } from './repositories.js';

/** The stored shared rates, one row per tenant and service (docs/pacing.md). */
export interface TenantRateRepository {
  get(tenantId: string, service: MeteredService): Promise<Versioned<SharedRateState> | undefined>;
  /** Creates the row; ConflictError when another instance created it first. */
  create(tenantId: string, service: MeteredService, rate: SharedRateState): Promise<Versioned<SharedRateState>>;
  /** Replaces the row if its ETag still matches; PreconditionFailedError when another instance wrote it since. */
  replace(
    tenantId: string,
    service: MeteredService,
    rate: SharedRateState,
    etag: string,
  ): Promise<Versioned<SharedRateState>>;
}

/** The configured tenant's shared rates, as expansion reads them to pace the mailbox messages. */
export interface TenantRates {
  /** Each service's stored rate; a service no instance has measured yet is absent. */
  current(): Promise<Partial<Record<MeteredService, SharedRateState>>>;
}
