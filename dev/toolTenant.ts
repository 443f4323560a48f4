import { azuriteConnectionString, loadConfig, type AppConfig } from '../shared/config.js';
import { appSettingsFor, startSimulator, type RunningSimulator } from './simulator/index.js';

/**
 * The tenant a developer tool talks to: the validated config and, without tenant settings, the simulator it started.
 */
export interface ToolTenant {
  env: Record<string, string | undefined>;
  config: AppConfig & { tenant: NonNullable<AppConfig['tenant']> };
  simulator?: RunningSimulator;
}

/**
 * Assembles the environment loadConfig() validates for a tool that reads Microsoft 365 only (probe, recorder):
 * the tenant the settings name, or the built-in simulator started in-process when AZURE_TENANT_ID is unset.
 */
export async function toolTenant(print: (line: string) => void): Promise<ToolTenant> {
  const env: Record<string, string | undefined> = { ...process.env };
  // The tool touches no tables, but the one validated config requires a table setting.
  env.TABLES_CONNECTION_STRING ??= azuriteConnectionString(10002);
  let simulator: RunningSimulator | undefined;
  if (!env.AZURE_TENANT_ID) {
    simulator = await startSimulator();
    Object.assign(env, appSettingsFor(simulator));
    print(`tenant simulator ${simulator.url} (tenant ${simulator.tenantId})`);
  }
  const config = loadConfig(env);
  if (!config.tenant) throw new Error('AZURE_TENANT_ID is required');
  return { env, config: config as ToolTenant['config'], ...(simulator ? { simulator } : {}) };
}
