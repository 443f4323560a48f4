import type { TestProject } from 'vitest/node';
import 'vitest';
import { startAzurite, type AzuriteHandle } from '../../dev/azurite.js';
import { azuriteConnectionString } from '../../shared/config.js';
import { ensureSimulatorTls } from '../../dev/simulator/certs.js';

let azurite: AzuriteHandle | undefined;

/** Starts one in-memory Azurite for the whole run; tests reach it through `inject('tablesConnectionString')`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Test workers are forked after this runs and inherit the variable: Node reads it at process start, so the
  // real SDK clients in the workers trust the tenant simulator's self-signed certificate.
  const tls = await ensureSimulatorTls();
  process.env.NODE_EXTRA_CA_CERTS = tls.caCertPath;
  azurite = await startAzurite();
  project.provide('tablesConnectionString', azuriteConnectionString(azurite.port));
  return async () => {
    await azurite?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    tablesConnectionString: string;
  }
}
