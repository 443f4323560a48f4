/**
 * Fixed identities of the simulated tenant. They do not depend on the seed, so a separate process
 * (dev/token.ts, the local host) knows them without asking the running simulator.
 */
export const SIM_TENANT_ID = '3f6a1c2e-8b4d-4e7f-9a1b-2c3d4e5f6a7b';
/** The product's app registration (client credentials for Graph + Exchange). */
export const SIM_CLIENT_ID = '8e1d7c3b-2a4f-4b6e-9c8d-1f2e3d4c5b6a';
/** Not a secret: it only unlocks the local simulator. */
export const SIM_CLIENT_SECRET = 'sim-client-secret-not-for-production';
export const SIM_SERVICE_PRINCIPAL_ID = '5b4a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d';
/** The API app registration: v2.0 access tokens for our own API carry its client id as `aud`. */
export const SIM_API_CLIENT_ID = 'c0a1b2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d';
export const SIM_API_AUDIENCE = SIM_API_CLIENT_ID;
/** A portal back end that calls our API app-only (its service principal is the token's `oid`). */
export const SIM_API_CALLER_APP_ID = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
export const SIM_API_CALLER_SP_ID = '6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f';

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const EXCHANGE_RESOURCE = 'https://outlook.office365.com';
/** The Office 365 Management Activity API (docs/wire.md); its app id is that of "Office 365 Management APIs". */
export const MANAGEMENT_RESOURCE = 'https://manage.office.com';
export const MANAGEMENT_APP_ID = 'c5393580-f805-4401-95e8-94b7a6ef2fc2';

/** The app's default grants: enough for every call the product makes. */
export const SIM_APP_PERMISSIONS = [
  'Group.Read.All',
  'GroupMember.Read.All',
  'User.Read.All',
  'Calendars.ReadBasic.All',
  'Exchange.ManageAsApp',
  'ActivityFeed.Read',
] as const;

export const API_ROLES = { Admin: 'MailboxPermissionSync.Admin', Reader: 'MailboxPermissionSync.Reader' } as const;
