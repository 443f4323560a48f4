import { describe, expect, it } from 'vitest';
import { createMicrosoftClients, type MicrosoftClientsOptions } from '../../shared/adapters/microsoft/index.js';
import { interpretAuditRecord } from '../../shared/domain/auditHints.js';
import { PermanentUpstreamError, RetryableError, ThrottledError } from '../../shared/errors.js';
import type { AuditContentRef } from '../../shared/ports/auditFeed.js';
import { fakeCredentials, fakeFetch, json, noSleep, sample, TENANT_ID, tenantSettings, type Route } from './fakes.js';

const ROOT = `https://manage.office.com/api/v1.0/${TENANT_ID}/activity/feed`;
const NOW = Date.parse('2026-12-06T13:30:00Z');

function clientAnswering(route: Route, options: MicrosoftClientsOptions = {}) {
  const recorder = fakeFetch(route);
  const credentials = fakeCredentials();
  const clients = createMicrosoftClients(tenantSettings(), {
    fetch: recorder.fetch,
    createCredential: credentials.create,
    sleep: noSleep,
    ...options,
  });
  return { feed: clients.management, calls: recorder.calls, credentials };
}

async function collect(pages: AsyncIterable<AuditContentRef[]>): Promise<AuditContentRef[][]> {
  const out: AuditContentRef[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const start = new Date('2026-12-06T12:00:00.400Z');
const end = new Date('2026-12-06T13:00:00.200Z');

describe('Management Activity API wire samples parse through the client', () => {
  it('subscriptions/start: a POST with PublisherIdentifier and a Management token; 200 is started', async () => {
    const { feed, calls, credentials } = clientAnswering(() => json(sample('mgmt-subscription-start.json')));

    expect(await feed.startSubscription('Audit.Exchange')).toBe('started');

    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe('POST');
    expect(calls[0]?.url).toBe(
      `${ROOT}/subscriptions/start?contentType=Audit.Exchange&PublisherIdentifier=${TENANT_ID}`,
    );
    expect(calls[0]?.headers.Authorization).toBe('Bearer token-1-for-https://manage.office.com/.default');
    expect(credentials.issued).toEqual(['token-1-for-https://manage.office.com/.default']);
  });

  it('subscriptions/start answering AF20024 (already enabled, HTTP 400) is alreadyEnabled', async () => {
    const { feed } = clientAnswering(() => json(sample('mgmt-error-already-enabled.json'), 400));
    expect(await feed.startSubscription('Audit.Exchange')).toBe('alreadyEnabled');
  });

  it('subscriptions/list: each subscription and its status', async () => {
    const { feed, calls } = clientAnswering(() => json(sample('mgmt-subscriptions-list.json')));
    expect(await feed.listSubscriptions()).toEqual([
      { contentType: 'Audit.Exchange', status: 'enabled' },
      { contentType: 'Audit.SharePoint', status: 'disabled' },
    ]);
    expect(calls[0]?.url).toBe(`${ROOT}/subscriptions/list?PublisherIdentifier=${TENANT_ID}`);
  });

  it('subscriptions/list: an entry without status (as in the reference sample) is unknown, never enabled', async () => {
    const { feed } = clientAnswering(() => json([{ contentType: 'Audit.Exchange', webhook: null }]));
    expect(await feed.listSubscriptions()).toEqual([{ contentType: 'Audit.Exchange', status: 'unknown' }]);
  });

  it('subscriptions/content: whole-second UTC window without zone, pages followed through NextPageUri', async () => {
    const next =
      `${ROOT}/subscriptions/content?contentType=Audit.Exchange&startTime=2026-12-06T12:00:00` +
      '&endTime=2026-12-06T13:00:01&nextPage=2026120613R0001';
    const { feed, calls } = clientAnswering((_call, index) =>
      index === 0 ? json(sample('mgmt-content-list-page.json'), 200, { NextPageUri: next }) : json([]),
    );

    const pages = await collect(feed.listContent('Audit.Exchange', start, end));

    expect(pages.map((p) => p.length)).toEqual([2, 0]);
    expect(pages[0]?.[0]).toEqual({
      contentType: 'Audit.Exchange',
      contentId: expect.stringContaining('$audit_exchange$'),
      contentUri: expect.stringMatching(/^https:\/\/manage\.office\.com\/api\/v1\.0\/.+\/activity\/feed\/audit\//),
      contentCreated: '2026-12-06T13:05:12.345Z',
      contentExpiration: '2026-12-13T13:05:12.345Z',
    });
    const first = new URL(calls[0]?.url ?? '');
    expect(first.searchParams.get('startTime')).toBe('2026-12-06T12:00:00');
    expect(first.searchParams.get('endTime')).toBe('2026-12-06T13:00:01');
    expect(first.searchParams.get('PublisherIdentifier')).toBe(TENANT_ID);
    const second = new URL(calls[1]?.url ?? '');
    expect(second.searchParams.get('nextPage')).toBe('2026120613R0001');
    expect(second.searchParams.get('PublisherIdentifier')).toBe(TENANT_ID);
  });

  it('a window over 24 h, reversed, or starting over 7 days ago is refused before any request', async () => {
    const { feed, calls } = clientAnswering(() => json([]));
    const day = 24 * 3600_000;
    const now = Date.now();
    const bad: Array<[Date, Date]> = [
      [new Date(now - 2 * day), new Date(now - 2 * day + day + 1000)],
      [new Date(now - 1000), new Date(now - 2000)],
      [new Date(now - 8 * day), new Date(now - 7.5 * day)],
    ];
    for (const [s, e] of bad) {
      await expect(collect(feed.listContent('Audit.Exchange', s, e))).rejects.toMatchObject({
        code: 'MANAGEMENT.BAD_WINDOW',
      });
    }
    expect(calls).toHaveLength(0);
  });

  it('the API refusing a window (AF20030) is BAD_WINDOW; no subscription (AF20022) is NO_SUBSCRIPTION', async () => {
    for (const [file, code] of [
      ['mgmt-error-window.json', 'MANAGEMENT.BAD_WINDOW'],
      ['mgmt-error-no-subscription.json', 'MANAGEMENT.NO_SUBSCRIPTION'],
    ] as const) {
      const { feed } = clientAnswering(() => json(sample(file), 400));
      const failure = collect(feed.listContent('Audit.Exchange', new Date(NOW - 3600_000), new Date(NOW)));
      await expect(failure).rejects.toBeInstanceOf(PermanentUpstreamError);
      await expect(failure).rejects.toMatchObject({ code });
    }
  });

  it('a content blob: every record validated, CreationTime without zone read as UTC', async () => {
    const { feed, calls } = clientAnswering(() => json(sample('mgmt-content-blob.json')));
    const uri = `${ROOT}/audit/20261206130512345012345$audit_exchange$Audit_Exchange$emea0021`;

    const reads = await feed.fetchContent(uri);

    expect(reads).toHaveLength(8);
    expect(reads.every((r) => r.kind === 'record')).toBe(true);
    const records = reads.flatMap((r) => (r.kind === 'record' ? [r.record] : []));
    expect(records[1]).toEqual({
      id: '9c2d7e14-5a3b-4f60-8e21-6b4c3d2a1f02',
      creationTime: '2026-12-06T12:51:07.000Z',
      operation: 'Add-MailboxPermission',
      recordType: 1,
      workload: 'Exchange',
      userId: 'admin@contoso.onmicrosoft.com',
      userType: 2,
      objectId: expect.stringContaining('Alex Wilber'),
      parameters: [
        { name: 'Identity', value: 'alex.wilber@contoso.com' },
        { name: 'User', value: 'grady.archie@contoso.com' },
        { name: 'AccessRights', value: 'FullAccess' },
        { name: 'InheritanceType', value: 'All' },
        { name: 'AutoMapping', value: 'True' },
      ],
      resultStatus: 'True',
      mailboxGuid: null,
      mailboxOwnerUpn: null,
    });
    // The sample blob holds one of each: what the feed makes of it end to end.
    expect(records.map((r) => interpretAuditRecord(r)).map((h) => (h.kind === 'ignored' ? h.reason : h.right))).toEqual(
      [
        'SendAs',
        'FullAccess',
        'SendOnBehalf',
        'CalendarDelegate',
        'systemActor',
        'failedOperation',
        'notPermissionChange',
        'CalendarDelegate',
      ],
    );
    const url = new URL(calls[0]?.url ?? '');
    expect(url.searchParams.get('PublisherIdentifier')).toBe(TENANT_ID);
  });

  it('a record failing validation is unreadable, naming the field and the record; the others still read', async () => {
    const blob = sample('mgmt-content-blob.json') as Array<Record<string, unknown>>;
    const broken = [
      { ...blob[0], CreationTime: 'yesterday' },
      { ...blob[1], UserId: undefined },
      { ...blob[2], Parameters: [{ Name: 'GrantSendOnBehalfTo', Value: 'x' }], ObjectId: null },
      'not a record',
      blob[3],
    ];
    const { feed } = clientAnswering(() => json(broken));

    const reads = await feed.fetchContent(`${ROOT}/audit/x`);

    expect(reads.map((r) => r.kind)).toEqual(['unreadable', 'unreadable', 'unreadable', 'unreadable', 'record']);
    const reasons = reads.flatMap((r) => (r.kind === 'unreadable' ? [r.reason] : []));
    expect(reasons[0]).toMatch(/record 3b1f6a52-.*CreationTime: not a date-time/);
    expect(reasons[1]).toMatch(/record 9c2d7e14-.*UserId/);
    expect(reasons[2]).toMatch(/record 5e8a1c33-.*Set-Mailbox.*names no mailbox/);
    expect(reasons[3]).toMatch(/record #3 of the blob/);
  });

  it('a CreationTime with a Z or an offset is honoured', async () => {
    const blob = sample('mgmt-content-blob.json') as Array<Record<string, unknown>>;
    const { feed } = clientAnswering(() =>
      json([
        { ...blob[0], CreationTime: '2026-12-06T12:58:41Z' },
        { ...blob[1], CreationTime: '2026-12-06T14:51:07+02:00' },
        { ...blob[2], CreationTime: '2026-12-06T12:55:19.1234567' },
      ]),
    );
    const reads = await feed.fetchContent(`${ROOT}/audit/x`);
    expect(reads.map((r) => (r.kind === 'record' ? r.record.creationTime : r.reason))).toEqual([
      '2026-12-06T12:58:41.000Z',
      '2026-12-06T12:51:07.000Z',
      '2026-12-06T12:55:19.123Z',
    ]);
  });

  it('a blob that is not an array is a malformed answer', async () => {
    const { feed } = clientAnswering(() => json({ value: [] }));
    await expect(feed.fetchContent(`${ROOT}/audit/x`)).rejects.toMatchObject({ code: 'MANAGEMENT.BAD_ROW' });
  });
});

describe('Management Activity API: URLs the API hands us get our token only on the configured host', () => {
  it.each([
    ['another host', 'https://evil.example/api/v1.0/x/activity/feed/audit/1'],
    ['http on the right host', 'http://manage.office.com/api/v1.0/x/activity/feed/audit/1'],
    ['not a URL', 'audit/1'],
  ])('contentUri on %s is refused without a request', async (_name, uri) => {
    const { feed, calls } = clientAnswering(() => json([]));
    await expect(feed.fetchContent(uri)).rejects.toMatchObject({ code: 'MANAGEMENT.UNTRUSTED_HOST' });
    expect(calls).toHaveLength(0);
  });

  it('a NextPageUri on another host is refused after the first page', async () => {
    const { feed, calls } = clientAnswering(() =>
      json(sample('mgmt-content-list-page.json'), 200, { NextPageUri: 'https://evil.example/next?nextPage=1' }),
    );
    await expect(
      collect(feed.listContent('Audit.Exchange', new Date(NOW - 3600_000), new Date(NOW))),
    ).rejects.toMatchObject({ code: 'MANAGEMENT.UNTRUSTED_HOST' });
    expect(calls).toHaveLength(1);
  });
});

describe('Management Activity API errors', () => {
  it('AF429 answered as HTTP 403 (as the FAQ shows) is throttling, retried without a token refresh', async () => {
    const { feed, calls, credentials } = clientAnswering((_c, index) =>
      index === 0 ? json(sample('mgmt-error-throttled.json'), 403) : json(sample('mgmt-subscriptions-list.json')),
    );
    expect(await feed.listSubscriptions()).toHaveLength(2);
    expect(calls).toHaveLength(2);
    expect(credentials.issued).toHaveLength(1);
  });

  it('429 with Retry-After surfaces as ThrottledError once retries are spent', async () => {
    const { feed } = clientAnswering(() => json(sample('mgmt-error-throttled.json'), 429, { 'Retry-After': '2' }), {
      retry: { maxAttempts: 1 },
    });
    const failure = feed.listSubscriptions();
    await expect(failure).rejects.toBeInstanceOf(ThrottledError);
    await expect(failure).rejects.toMatchObject({ code: 'MANAGEMENT.THROTTLED', retryAfterMs: 2000 });
  });

  it('403 without AF429 tells the admin to grant ActivityFeed.Read', async () => {
    const body = { error: { code: 'AF10001', message: 'The permission set () sent in the request did not include …' } };
    const { feed } = clientAnswering(() => json(body, 403));
    const failure = feed.listSubscriptions();
    await expect(failure).rejects.toMatchObject({ code: 'MANAGEMENT.FORBIDDEN' });
    await expect(failure).rejects.toThrow(/ActivityFeed\.Read.*Office 365 Management APIs/);
  });

  it('AF50000 / 5xx are retryable (MANAGEMENT.UNAVAILABLE), an expired blob (AF20051) is CONTENT_EXPIRED', async () => {
    const outage = clientAnswering(() => json({ error: { code: 'AF50000', message: 'Retry.' } }, 503), {
      retry: { maxAttempts: 1 },
    });
    const failure = outage.feed.listSubscriptions();
    await expect(failure).rejects.toBeInstanceOf(RetryableError);
    await expect(failure).rejects.toMatchObject({ code: 'MANAGEMENT.UNAVAILABLE' });

    const gone = { error: { code: 'AF20051', message: 'Content requested with the key x has already expired.' } };
    const expired = clientAnswering(() => json(gone, 400));
    await expect(expired.feed.fetchContent(`${ROOT}/audit/x`)).rejects.toMatchObject({
      code: 'MANAGEMENT.CONTENT_EXPIRED',
    });
  });
});
