import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AccessToken } from '@azure/identity';
import { createMicrosoftClients, type FetchLike, type TenantSettings } from '../../shared/adapters/microsoft/index.js';
import { TrafficCapture } from './capture.js';
import type { PendingCall, RecordingManifest } from './format.js';
import { RUN_MAILBOX_FIELDS, runOperation, type Invocation } from './operations.js';

/**
 * Recordings built from the wire samples of test/contract/fixtures (README there): each sample is served as
 * the answer to the request its README row names, made by the real client method that sends that request.
 */

const TENANT_ID = '6babcaad-604b-40ac-a9d7-9fd97c0b779f';
const SETTINGS: TenantSettings = {
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
};
/** The bearer token the clients send here; recorded only to prove the writer drops it. */
export const WIRE_SAMPLE_TOKEN = 'wire-sample-bearer-token';
/** Graph's select list for groups, as the README row of the advanced-query sample names the request. */
const GROUP_SELECT =
  'id,displayName,mail,mailEnabled,securityEnabled,groupTypes,onPremisesSamAccountName,onPremisesSyncEnabled';

interface Sample {
  file: string;
  invocation: Invocation;
  status: number;
  headers?: Record<string, string>;
  purpose: string;
  expect?: 'notFound';
  /** The sample answers a request the product must not send; recorded as that request, not through a client. */
  mustNotBeSent?: { reason: string; url: string };
  /** The body to serve for a request body (a batch answer keyed by the ids the client chose). */
  adapt?: (sample: unknown, requestBody: string | undefined) => unknown;
}

const MAILBOX = 'alex.wilber@contoso.com';
const GHOST = 'ghost@contoso.com';

const SAMPLES: Sample[] = [
  {
    file: 'exo-get-mailboxpermission.json',
    invocation: { operation: 'exchange.getMailboxPermission', args: [MAILBOX] },
    status: 200,
    purpose: 'Get-MailboxPermission {Identity}',
  },
  {
    file: 'exo-get-recipientpermission.json',
    invocation: { operation: 'exchange.getRecipientPermission', args: [MAILBOX] },
    status: 200,
    purpose: 'Get-RecipientPermission {Identity}',
  },
  {
    file: 'exo-get-mailbox-page.json',
    invocation: { operation: 'exchange.listMailboxes', args: [[...RUN_MAILBOX_FIELDS]], maxPages: 1 },
    status: 200,
    purpose: 'Get-Mailbox {ResultSize: Unlimited}, first page of several',
  },
  {
    file: 'exo-get-recipient.json',
    invocation: { operation: 'exchange.getRecipient', args: ['SalesSharedAccess'] },
    status: 200,
    purpose: 'Get-Recipient {Identity: <a group Name>}',
  },
  {
    file: 'exo-error-notfound.json',
    invocation: { operation: 'exchange.getMailboxPermission', args: [GHOST] },
    status: 404,
    purpose: 'a cmdlet on an object that does not exist (real type and text only in details[0].message)',
    expect: 'notFound',
  },
  {
    file: 'exo-error-legacy.json',
    invocation: { operation: 'exchange.getMailboxPermission', args: [GHOST] },
    status: 404,
    purpose: 'the same failure in the older form (text also in innererror.internalexception)',
    expect: 'notFound',
  },
  {
    file: 'exo-warnings-no-value.json',
    invocation: { operation: 'exchange.getRecipientPermission', args: ['ghost'] },
    status: 200,
    purpose: '200 with @adminapi.warnings and no value: an empty result with warnings',
  },
  {
    file: 'exo-batch-response.json',
    invocation: {
      operation: 'exchange.batch',
      args: [
        [
          { cmdlet: 'Get-MailboxPermission', parameters: { Identity: 'megan.bowen@contoso.com' } },
          { cmdlet: 'Get-MailboxPermission', parameters: { Identity: GHOST } },
        ],
      ],
    },
    status: 200,
    purpose: '$batch with two items, one failed',
    adapt: (sample, body) => {
      const ids = ((JSON.parse(body ?? '{}') as { requests?: Array<{ id: string }> }).requests ?? []).map((r) => r.id);
      const copy = structuredClone(sample) as { responses: Array<{ id: string }> };
      for (const [i, r] of copy.responses.entries()) r.id = ids[i] ?? r.id;
      return copy;
    },
  },
  {
    file: 'graph-transitivemembers-page.json',
    invocation: { operation: 'graph.transitiveMembers', args: ['02bd9fd6-8f93-4758-87c3-1fb73740a315'], maxPages: 1 },
    status: 200,
    purpose: 'transitiveMembers, first page',
  },
  {
    file: 'graph-calendarpermissions.json',
    invocation: { operation: 'graph.calendarPermissions', args: ['a1b2c3d4-0000-4000-8000-000000000001'] },
    status: 200,
    purpose: 'calendarPermissions',
  },
  {
    file: 'graph-error-throttled.json',
    invocation: { operation: 'graph.getGroup', args: ['02bd9fd6-8f93-4758-87c3-1fb73740a315'] },
    status: 429,
    headers: { 'Retry-After': '7' },
    purpose: 'HTTP 429 with Retry-After: 7',
  },
  {
    file: 'graph-error-advanced-query.json',
    invocation: { operation: 'graph.findGroupsBySamAccountName', args: ['AllStaff'] },
    status: 400,
    purpose: "$filter=onPremisesSamAccountName eq '…' without ConsistencyLevel: eventual and $count=true",
    mustNotBeSent: {
      reason: 'Graph refuses an advanced query without ConsistencyLevel: eventual and $count=true (docs/wire.md)',
      url:
        'https://graph.microsoft.com/v1.0/groups' +
        `?$filter=${encodeURIComponent("onPremisesSamAccountName eq 'AllStaff'")}` +
        `&$select=${encodeURIComponent(GROUP_SELECT)}`,
    },
  },
  {
    file: 'graph-error-calendar-denied.json',
    invocation: { operation: 'graph.calendarPermissions', args: ['c3d4e5f6-0000-4000-8000-000000000051'] },
    status: 403,
    purpose: 'calendarPermissions of a mailbox outside the access policy scope',
  },
];

export const WIRE_SAMPLE_SKIPPED: RecordingManifest['skipped'] = [
  {
    what: 'entra-openid-configuration.json',
    reason: 'an Entra ID answer to MSAL, not a Graph/Exchange call (test/simulator/contract.test.ts covers it)',
  },
];

function fixedCredential() {
  const getToken = async (): Promise<AccessToken> => ({
    token: WIRE_SAMPLE_TOKEN,
    expiresOnTimestamp: Date.now() + 3_600_000,
  });
  return { getToken };
}

/** Serves each sample to the client call its README row names; one fresh set of clients per sample. */
export async function recordWireSamples(
  fixturesDir: string,
  log: (line: string) => void,
): Promise<{
  calls: PendingCall[];
  capture: TrafficCapture;
  settings: TenantSettings;
}> {
  const capture = new TrafficCapture(SETTINGS);
  const calls: PendingCall[] = [];
  for (const [index, sample] of SAMPLES.entries()) {
    capture.call = index;
    const body = JSON.parse(readFileSync(path.join(fixturesDir, sample.file), 'utf8')) as unknown;
    const answer = (requestBody: string | undefined): Response =>
      new Response(JSON.stringify(sample.adapt ? sample.adapt(body, requestBody) : body), {
        status: sample.status,
        headers: { 'Content-Type': 'application/json; charset=utf-8', ...sample.headers },
      });
    let outcome: PendingCall['outcome'];
    if (sample.mustNotBeSent) {
      const request = { method: 'GET', url: sample.mustNotBeSent.url, headers: { accept: 'application/json' } };
      const text = await answer(undefined).text();
      const headers = { 'content-type': 'application/json; charset=utf-8' };
      capture.add({ request, response: { status: sample.status, headers, text }, elapsedMs: 0 });
      outcome = { ok: false, code: 'GRAPH.BAD_REQUEST', error: 'PermanentUpstreamError' };
    } else {
      const serve: FetchLike = async (_url, init) => answer(init.body);
      const clients = createMicrosoftClients(SETTINGS, {
        fetch: capture.wrap(serve),
        createCredential: fixedCredential,
        retry: { maxAttempts: 1 },
        sleep: async () => {},
      });
      try {
        outcome = (await runOperation(clients, sample.invocation)).outcome;
      } finally {
        clients.close();
      }
    }
    calls.push({
      ...sample.invocation,
      purpose: `${sample.file}: ${sample.purpose}`,
      ...(sample.expect ? { expect: sample.expect } : {}),
      ...(sample.mustNotBeSent ? { mustNotBeSent: sample.mustNotBeSent.reason } : {}),
      outcome,
      exchanges: capture.exchanges.filter((x) => x.call === index),
    });
    const said = outcome.ok ? `ok, ${outcome.count}` : outcome.code;
    log(`  ${String(index + 1).padStart(2)} ${sample.file} → ${sample.invocation.operation}: ${said}`);
  }
  return { calls, capture, settings: SETTINGS };
}
