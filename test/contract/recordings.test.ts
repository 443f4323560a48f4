import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertReadOnly, ReadOnlyViolation } from '../../dev/record/capture.js';
import {
  assertNoOriginals,
  assertNoSecrets,
  buildRecording,
  type PendingCall,
  type RecordedCall,
} from '../../dev/record/format.js';
import { Pseudonymizer } from '../../dev/record/pseudonymize.js';
import { generateTenant } from '../../dev/simulator/index.js';
import { exchangeSentence, replayRecording, throughDomain, type ReplayReport } from '../support/replay.js';

const RECORDINGS = fileURLToPath(new URL('../recordings/', import.meta.url));
const recordings = readdirSync(RECORDINGS).filter((name) => existsSync(path.join(RECORDINGS, name, 'manifest.json')));

describe('test/recordings', () => {
  it('holds a recording of the simulator and one of the wire samples', () => {
    expect(recordings.some((name) => name.startsWith('simulator-'))).toBe(true);
    expect(recordings).toContain('wire-samples');
  });
});

describe.each(recordings)('recording %s replayed through the real clients', (name) => {
  let report: ReplayReport;
  beforeAll(async () => {
    report = await replayRecording(path.join(RECORDINGS, name));
  });

  it('matches request for request, and every answer parses as the wire facts say', () => {
    expect(report.problems).toEqual([]);
  });

  it('deliberate not-founds fail as *.NOT_FOUND, Exchange ones with the real sentence', () => {
    const notFound = report.calls.filter((c) => c.call.expect === 'notFound');
    expect(notFound.length).toBeGreaterThan(0);
    for (const { call, result } of notFound) {
      expect(result?.outcome).toMatchObject({ ok: false, code: expect.stringMatching(/\.NOT_FOUND$/) });
      const sentence = exchangeSentence(call.exchanges.at(-1)?.response?.body);
      if (call.operation.startsWith('exchange.') && sentence) {
        expect(result?.error?.message).toContain(sentence.replace(/\s+/g, ' ').trim().slice(0, 120));
      }
    }
  });

  it('Exchange and calendar rows go through the domain normalization', () => {
    const rows = report.calls.flatMap((c) => c.result?.rows ?? []);
    expect(() => throughDomain(rows)).not.toThrow();
  });
});

describe.each(recordings.filter((name) => name.startsWith('simulator-')))('simulator recording %s', (name) => {
  it("holds none of the simulator tenant's ids, addresses, SIDs or display names", () => {
    // Arrange: every file of the recording, and the seed-42 tenant it was made from (dev/record.ts).
    const dir = path.join(RECORDINGS, name);
    const files = ['manifest.json', ...readdirSync(path.join(dir, 'calls')).map((f) => path.join('calls', f))];
    const text = files
      .map((f) => readFileSync(path.join(dir, f), 'utf8'))
      .join('\n')
      .toLowerCase();
    const tenant = generateTenant({ seed: 42 });
    const real = new Set<string>([tenant.tenantId, tenant.domain, tenant.initialDomain]);
    for (const u of tenant.users.values()) {
      const addresses = u.proxyAddresses.map((a) => a.replace(/^\w+:/, ''));
      for (const v of [u.id, u.userPrincipalName, u.mail, u.sid, ...addresses]) if (v) real.add(v);
      if (/\s/.test(u.displayName) && u.displayName.length >= 8) real.add(u.displayName);
    }
    for (const g of tenant.groups.values()) {
      for (const v of [g.id, g.mail, g.sid]) if (v) real.add(v);
    }

    // Act
    const leaked = [...real].filter((v) => text.includes(JSON.stringify(v.toLowerCase()).slice(1, -1)));

    // Assert
    expect(leaked).toEqual([]);
  });
});

describe('a recording made by another client fails loudly', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mps-recording-'));
    cpSync(path.join(RECORDINGS, 'wire-samples'), dir, { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the request the client sends and what the recording holds instead', async () => {
    // Arrange: the transitiveMembers request as an older client sent it ($top=100 instead of today's query).
    const file = readdirSync(path.join(dir, 'calls')).find((f) => f.endsWith('graph.transitiveMembers.json')) ?? '';
    const call = JSON.parse(readFileSync(path.join(dir, 'calls', file), 'utf8')) as RecordedCall;
    const first = call.exchanges[0];
    if (!first) throw new Error('the wire-samples recording has no transitiveMembers request');
    first.request.url = first.request.url.replace('$top=999', '$top=100');
    writeFileSync(path.join(dir, 'calls', file), JSON.stringify(call));

    // Act
    const report = await replayRecording(dir);

    // Assert
    const sent = report.problems.find((p) => p.includes('which the recording does not hold'));
    const sentToday = /GET \/v1\.0\/groups\/[^ ]+\/transitiveMembers\?\$select=[^ ]*&\$top=999, which the recording/;
    expect(sent).toMatch(/^call \d+ graph\.transitiveMembers/);
    expect(sent).toMatch(sentToday);
    expect(sent).toContain('$top=100');
    expect(report.problems.some((p) => /\$top=100 was never sent/.test(p))).toBe(true);
  });

  it('reports a client that still sends a request marked as one it must not send', async () => {
    // Arrange: mark the calendarPermissions request, which today's client sends, as forbidden.
    const file = readdirSync(path.join(dir, 'calls')).find((f) => f.endsWith('graph.calendarPermissions.json')) ?? '';
    const call = JSON.parse(readFileSync(path.join(dir, 'calls', file), 'utf8')) as RecordedCall;
    call.mustNotBeSent = 'a test reason';
    writeFileSync(path.join(dir, 'calls', file), JSON.stringify(call));

    // Act
    const report = await replayRecording(dir);

    // Assert
    const stillSent = /the client still sends GET \/v1\.0\/users\/[^ ]+\/calendar\/calendarPermissions, which it must/;
    const problem = report.problems.find((p) => p.includes('graph.calendarPermissions'));
    expect(problem).toMatch(stillSent);
    expect(problem).toMatch(/: a test reason$/);
  });
});

describe('the recorder', () => {
  const bases = { graphBaseUrl: 'https://graph.microsoft.com', exchangeBaseUrl: 'https://outlook.office365.com' };
  const tenantId = '3f6a1c2e-8b4d-4e7f-9a1b-2c3d4e5f6a7b';
  const invoke = `https://outlook.office365.com/adminapi/beta/${tenantId}/InvokeCommand`;
  const command = (name: string) => ({ CmdletInput: { CmdletName: name, Parameters: { Identity: 'a@contoso.com' } } });
  const graphBatch = (method: string) => JSON.stringify({ requests: [{ id: '0', method, url: '/users/x' }] });
  const exchangeBatch = (name: string) =>
    JSON.stringify({ requests: [{ id: '0', method: 'POST', url: invoke, body: command(name) }] });
  const batchUrl = invoke.replace('InvokeCommand', '$batch');

  it.each([
    ['Graph PATCH', 'PATCH', 'https://graph.microsoft.com/v1.0/users/x', undefined],
    ['Graph POST', 'POST', 'https://graph.microsoft.com/v1.0/groups', '{}'],
    ['Graph $batch with a DELETE', 'POST', 'https://graph.microsoft.com/v1.0/$batch', graphBatch('DELETE')],
    ['Set-Mailbox', 'POST', invoke, JSON.stringify(command('Set-Mailbox'))],
    ['Add-MailboxPermission', 'POST', invoke, JSON.stringify(command('Add-MailboxPermission'))],
    ['an Exchange $batch with a Remove-*', 'POST', batchUrl, exchangeBatch('Remove-Mailbox')],
    ['another host', 'GET', 'https://example.com/v1.0/users', undefined],
  ])('refuses %s', (_what, method, url, body) => {
    expect(() => assertReadOnly(bases, method, url, body)).toThrow(ReadOnlyViolation);
  });

  it.each([
    ['Graph GET', 'GET', 'https://graph.microsoft.com/v1.0/groups/x/transitiveMembers', undefined],
    ['Graph $batch of GETs', 'POST', 'https://graph.microsoft.com/v1.0/$batch', graphBatch('GET')],
    ['Get-MailboxPermission', 'POST', invoke, JSON.stringify(command('Get-MailboxPermission'))],
    ['an Exchange $batch of Get-*', 'POST', batchUrl, exchangeBatch('Get-Mailbox')],
  ])('lets %s through', (_what, method, url, body) => {
    expect(() => assertReadOnly(bases, method, url, body)).not.toThrow();
  });

  it('pseudonymizes one value the same way everywhere and keeps structure, codes and exception types', () => {
    // Arrange: one Exchange not-found, as a tenant answers it.
    const type = 'Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException';
    const sentence =
      "The operation couldn't be performed because object 'Jane.Doe@fabrikam.com' couldn't be found on " +
      "'AM6PR04A08DC001.EURPR04A008.PROD.OUTLOOK.COM'.";
    const details = [{ code: 'Client', message: `Ex6F9304|${type}|${sentence}` }];
    const answer = { error: { code: 'NotFound', message: 'Error executing cmdlet', details } };
    const input = (identity: string) => ({
      CmdletInput: { CmdletName: 'Get-MailboxPermission', Parameters: { Identity: identity } },
    });
    const pending: PendingCall = {
      operation: 'exchange.getMailboxPermission',
      args: ['jane.doe@fabrikam.com'],
      outcome: { ok: false, code: 'EXCHANGE.NOT_FOUND', error: 'PermanentUpstreamError' },
      exchanges: [
        {
          call: 0,
          request: {
            method: 'POST',
            url: invoke,
            headers: { 'x-anchormailbox': `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${tenantId}` },
            body: JSON.stringify(input('jane.doe@fabrikam.com')),
          },
          response: { status: 404, headers: {}, text: JSON.stringify(answer) },
          elapsedMs: 700,
        },
      ],
    };

    // Act
    const { manifest, calls } = buildRecording([pending], {
      source: 'tenant',
      description: 'test',
      tenantId,
      ...bases,
      retry: { maxAttempts: 5 },
      tool: { name: 'test', version: '0', node: process.version },
      droppedHeaders: { request: ['authorization'], response: [] },
      secrets: [],
    });

    // Assert
    const text = JSON.stringify(calls).toLowerCase();
    for (const real of ['jane', 'fabrikam', tenantId, 'am6pr04a08dc001', 'outlook.office365.com']) {
      expect(text).not.toContain(real);
    }
    const call = calls[0] as RecordedCall;
    const pseudonym = call.args[0] as string;
    const exchange = call.exchanges[0]!;
    expect(pseudonym).toMatch(/^user\.1@domain\d+\.example$/);
    expect(exchange.request.body).toEqual(input(pseudonym));
    expect(exchange.request.url).toBe(`https://exchange.invalid/adminapi/beta/${manifest.tenantId}/InvokeCommand`);
    const anchor = `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${manifest.tenantId}`;
    expect(exchange.request.headers['x-anchormailbox']).toBe(anchor);
    const error = (exchange.response!.body as typeof answer).error;
    expect(error.code).toBe('NotFound');
    const [code, exception, text2] = error.details[0]?.message.split('|') ?? [];
    const host = /found on '([^']+)'/.exec(text2 ?? '')?.[1];
    expect([code, exception]).toEqual(['Ex6F9304', type]);
    expect(text2).toBe(
      `The operation couldn't be performed because object '${pseudonym}' couldn't be found on '${host}'.`,
    );
    expect(host).toMatch(/^domain\d+\.example$/);
  });

  it('keeps the shapes the product relies on', () => {
    const p = new Pseudonymizer({ graph: 'https://graph.microsoft.com', exchange: 'https://outlook.office365.com' });
    const id = '5f6e7d8c-1234-4abc-8def-000000000009';

    const guest = /^user\.?\d+#EXT#@tenant1\.onmicrosoft\.com$/;
    expect(p.identity('jane_fabrikam.com#EXT#@contoso.onmicrosoft.com')).toMatch(guest);
    const dn = /^CN=Name\d+,OU=Name\d+,DC=domain\d+,DC=example$/;
    expect(p.identity('CN=AllStaff,OU=Groups,DC=contoso,DC=com')).toMatch(dn);
    expect(p.identity('S-1-5-21-3623811015-3361044348-30300820-1186')).toMatch(/^S-1-5-21-\d+-\d+-\d+-1186$/);
    expect(p.identity('NT AUTHORITY\\SELF')).toBe('NT AUTHORITY\\SELF');
    expect(p.identity('CONTOSO\\Organization Management')).toMatch(/^Name\d+\\Organization Management$/);
    expect(p.identity(id.toUpperCase())).toBe(p.identity(id));
    expect(p.identity('AllStaff')).toBe('Name1');
    expect(p.identity('allstaff')).toBe('name1');
    expect(p.identity("Seán O'Brien (Ops)")).toMatch(/^Name \d+'\(\)é$/);
    const row = { Office: 'Building 5', WhenCreated: '2020-01-01T10:00:00Z', IsInherited: 'False', ExchangeGuid: id };
    const kept = { WhenCreated: row.WhenCreated, IsInherited: 'False', ExchangeGuid: p.identity(id) };
    expect(p.json(row)).toEqual({ Office: 'redacted1', ...kept });
  });

  it('refuses output in which a replaced value remains (a safety net over the rules)', () => {
    const call = { index: 3, operation: 'exchange.getMailboxes', args: [['3CADE003-8dd1-4f0f-8a0d-d2bf69f687b6']] };

    const check = () => assertNoOriginals([call as unknown as RecordedCall], ['3cade003-8dd1-4f0f-8a0d-d2bf69f687b6']);

    expect(check).toThrow(/call 3 \(exchange\.getMailboxes\) still holds '3cade003/);
  });

  it('refuses to write a token, a secret or a JWT', () => {
    const jwt = ['eyJhbGciOiJSUzI1NiJ9', 'eyJhdWQiOiJ4In0xx', 'c2lnbmF0dXJlc2ln'].join('.');
    expect(() => assertNoSecrets('{"a":"s3cr3t-value"}', ['s3cr3t-value'])).toThrow(/token or secret/);
    expect(() => assertNoSecrets(`{"a":"${jwt}"}`, [])).toThrow(/JWT/);
    expect(() => assertNoSecrets('{"a":"fine"}', ['s3cr3t-value'])).not.toThrow();
  });
});
