import type { TestProject } from 'vitest/node';
import 'vitest';
import { startAzurite, type AzuriteHandle } from '../../dev/azurite.js';
import { azuriteConnectionString } from '../../shared/config.js';

let azurite: AzuriteHandle | undefined;

/** Starts one in-memory Azurite for the whole run; tests reach it through `inject('tablesConnectionString')`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
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
