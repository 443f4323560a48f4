import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';

const TENANT = '6babcaad-604b-40ac-a9d7-9fd97c0b779f';
const CLIENT = '11111111-2222-4333-8444-555555555555';
const base = { TABLES_CONNECTION_STRING: 'UseDevelopmentStorage=true;AccountName=devstoreaccount1' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config.port).toBe(7071);
    expect(config.serviceBus).toEqual({ kind: 'inProcess' });
    expect(config.tenant).toBeUndefined();
    expect(config.tables.prefix).toBe('mps');
    expect(config.alertAllowHttpLoopback).toBe(false);
  });

  it('reads ALERT_ALLOW_HTTP_LOOPBACK as true or false only', () => {
    expect(loadConfig({ ...base, ALERT_ALLOW_HTTP_LOOPBACK: 'true' }).alertAllowHttpLoopback).toBe(true);
    expect(loadConfig({ ...base, ALERT_ALLOW_HTTP_LOOPBACK: 'false' }).alertAllowHttpLoopback).toBe(false);
    expect(() => loadConfig({ ...base, ALERT_ALLOW_HTTP_LOOPBACK: 'yes' })).toThrow(
      'ALERT_ALLOW_HTTP_LOOPBACK: must be true or false',
    );
  });

  it('builds a client-secret credential and derives the API issuer and JWKS from the authority', () => {
    const config = loadConfig({
      ...base,
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: CLIENT,
      AZURE_CLIENT_SECRET: 's3cr3t',
    });
    expect(config.tenant?.credential.kind).toBe('clientSecret');
    expect(config.tenant?.disableInstanceDiscovery).toBe(false);
    expect(config.api.issuer).toBe(`https://login.microsoftonline.com/${TENANT}/v2.0`);
    expect(config.api.jwksUri).toBe(`https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`);
    expect(config.tenant?.managementBaseUrl).toBe('https://manage.office.com');
  });

  it('reads MANAGEMENT_API_BASE_URL (the change feed) for another cloud', () => {
    const tenant = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: 'x' };
    const config = loadConfig({ ...base, ...tenant, MANAGEMENT_API_BASE_URL: 'https://manage-gcc.office.com/' });
    expect(config.tenant?.managementBaseUrl).toBe('https://manage-gcc.office.com');
  });

  it('disables instance discovery for a non-Microsoft authority', () => {
    const config = loadConfig({
      ...base,
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: CLIENT,
      AZURE_CLIENT_SECRET: 'x',
      AZURE_AUTHORITY_HOST: 'https://127.0.0.1:7443/',
    });
    expect(config.tenant?.disableInstanceDiscovery).toBe(true);
    expect(config.tenant?.authorityHost).toBe('https://127.0.0.1:7443');
  });

  it('uses the managed identity when no secret or certificate is given', () => {
    const config = loadConfig({
      TABLES_ENDPOINT: 'https://acct.table.core.windows.net',
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_ID: CLIENT,
      ServiceBusConnection__fullyQualifiedNamespace: 'mps.servicebus.windows.net',
    });
    expect(config.tenant?.credential).toEqual({ kind: 'managedIdentity', tenantId: TENANT, clientId: CLIENT });
    expect(config.serviceBus).toEqual({
      kind: 'serviceBus',
      fullyQualifiedNamespace: 'mps.servicebus.windows.net',
      clientId: CLIENT,
    });
    expect(config.tables).toMatchObject({ kind: 'endpoint', clientId: CLIENT });
  });

  it.each([
    [{ ...base, PORT: 'eighty' }, /PORT: /],
    [{ ...base, PORT: '70000' }, /PORT: must be at most 65535/],
    [{ ...base, AZURE_TENANT_ID: 'contoso' }, /AZURE_TENANT_ID: must be a GUID/],
    [{ ...base, GRAPH_BASE_URL: 'http://graph.local' }, /GRAPH_BASE_URL: must be an https:\/\/ URL/],
    [{ ...base, MANAGEMENT_API_BASE_URL: 'http://manage.local' }, /MANAGEMENT_API_BASE_URL: must be an https:\/\/ URL/],
    [{ ...base, AZURE_CLIENT_SECRET: 'x' }, /AZURE_TENANT_ID: required when a client secret/],
    [{ ...base, AZURE_TENANT_ID: TENANT, AZURE_CLIENT_SECRET: 'x' }, /AZURE_CLIENT_ID: required with a client secret/],
    [{}, /TABLES_CONNECTION_STRING or TABLES_ENDPOINT: one is required/],
    [
      { ...base, ServiceBusConnection__fullyQualifiedNamespace: 'Endpoint=sb://x;SharedAccessKey=abc' },
      /ServiceBusConnection__fullyQualifiedNamespace: must be a host name/,
    ],
    [{ ...base, LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
  ])('rejects %j naming the setting', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echoes a secret value in its error', () => {
    try {
      loadConfig({ AZURE_CLIENT_SECRET: 'super-secret-value' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('super-secret-value');
    }
  });
});

describe('loadConfig with empty settings', () => {
  it('treats empty strings as not set (empty app settings in Azure or local.settings.json)', () => {
    const config = loadConfig({ ...base, CONSOLE_CLIENT_ID: '', API_ISSUER: ' ', AZURE_TENANT_ID: '', PORT: '' });
    expect(config.console).toEqual({});
    expect(config.tenant).toBeUndefined();
    expect(config.port).toBe(7071);
  });
});
