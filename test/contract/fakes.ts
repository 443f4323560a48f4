import type { AccessToken, TokenCredential } from '@azure/identity';
import { readFileSync } from 'node:fs';
import type { TenantSettings } from '../../shared/adapters/microsoft/credentials.js';
import type { FetchInit, FetchLike } from '../../shared/adapters/microsoft/transport.js';
import type { DirectoryPort, ExchangePort, MicrosoftPorts } from '../../shared/ports/microsoft.js';

export const TENANT_ID = '6babcaad-604b-40ac-a9d7-9fd97c0b779f';

/** Reads a copy of test/contract/fixtures (kept beside the tests so CI does not need the spec folder). */
export function sample(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as unknown;
}

export function tenantSettings(overrides: Partial<TenantSettings> = {}): TenantSettings {
  return {
    tenantId: TENANT_ID,
    credential: {
      kind: 'clientSecret',
      tenantId: TENANT_ID,
      clientId: '11111111-2222-4333-8444-555555555555',
      clientSecret: 'not-used',
    },
    authorityHost: 'https://login.microsoftonline.com',
    disableInstanceDiscovery: false,
    graphBaseUrl: 'https://graph.microsoft.com',
    exchangeBaseUrl: 'https://outlook.office365.com',
    managementBaseUrl: 'https://manage.office.com',
    ...overrides,
  };
}

/** A credential handing out numbered tokens; counts how many credentials and tokens were made. */
export function fakeCredentials(): { create: () => TokenCredential; issued: string[]; created: number } {
  const state = { issued: [] as string[], created: 0 };
  return {
    get issued() {
      return state.issued;
    },
    get created() {
      return state.created;
    },
    create: () => {
      state.created += 1;
      return {
        getToken: async (scopes: string | string[]): Promise<AccessToken> => {
          const scope = Array.isArray(scopes) ? scopes.join(' ') : scopes;
          const token = `token-${state.issued.length + 1}-for-${scope}`;
          state.issued.push(token);
          return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
        },
      };
    },
  };
}

export interface RecordedCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export type Route = (call: RecordedCall, index: number) => Response | Promise<Response>;

/** A fetch that answers from `route` and records every call (no network). */
export function fakeFetch(route: Route): { fetch: FetchLike; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fetch: FetchLike = async (url: string, init: FetchInit) => {
    const call = { url, method: init.method, headers: init.headers, body: init.body };
    calls.push(call);
    return route(call, calls.length - 1);
  };
  return { fetch, calls };
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

export const noSleep = async (): Promise<void> => {};

/**
 * Graph and Exchange ports answering from memory (no network): a tenant with one mailbox and no delegations.
 * Override any method to make it fail or answer otherwise.
 */
export function fakeMicrosoftPorts(
  overrides: { graph?: Partial<DirectoryPort>; exchange?: Partial<ExchangePort> } = {},
): MicrosoftPorts {
  const mailbox = {
    Identity: 'adele',
    UserPrincipalName: 'adele@contoso.com',
    PrimarySmtpAddress: 'adele@contoso.com',
  };
  const graph: DirectoryPort = {
    acquireToken: async () => {},
    getGroup: async () => undefined,
    findGroupsByMail: async () => [],
    findGroupsBySamAccountName: async () => [],
    findGroupsByDisplayName: async () => [],
    searchGroups: async () => [],
    transitiveMembers: async function* () {},
    getUser: async () => undefined,
    findUserByMail: async () => undefined,
    listUsers: async function* () {},
    calendarPermissions: async () => [],
    ...overrides.graph,
  };
  const exchange: ExchangePort = {
    acquireToken: async () => {},
    getMailboxPermission: async () => [],
    getRecipientPermission: async () => [],
    getRecipientPermissionsTenantWide: async function* () {},
    getMailbox: async () => undefined,
    getMailboxes: async (identities) => identities.map(() => undefined),
    anyMailbox: async () => mailbox,
    listMailboxes: async function* () {},
    getRecipient: async () => [],
    ...overrides.exchange,
  };
  return { graph, exchange };
}
