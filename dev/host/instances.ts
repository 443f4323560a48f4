import type { AppConfig } from '../../shared/config.js';
import { buildServices, type ServiceOverrides, type Services } from '../../shared/composition.js';

/**
 * The app instances of the local host (LOCAL_INSTANCES, docs/pacing.md): each its own services (Microsoft clients,
 * limiters, token sources, table clients, resolver caches), as separate Function App instances would have, over
 * the one queue and store the overrides name. The first is also the process's (timers, tools).
 */
export function buildInstances(
  config: AppConfig,
  overrides: ServiceOverrides,
  count = config.localInstances,
): Services[] {
  return Array.from({ length: Math.max(1, count) }, (_, index) =>
    buildServices(config, {
      ...overrides,
      ...(overrides.logger && count > 1 ? { logger: overrides.logger.child({ instance: index }) } : {}),
    }),
  );
}
