import { describe, expect, it } from 'vitest';
import { type PermanentUpstreamError, RetryableError, ThrottledError } from '../../shared/errors.js';
import { ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import { ConfigError } from '../../shared/errors.js';
import {
  createMicrosoftClients,
  createMicrosoftCredential,
  exchangeScope,
  graphScope,
  type MicrosoftClientsOptions,
} from '../../shared/adapters/microsoft/index.js';
import type { TenantSettings } from '../../shared/adapters/microsoft/credentials.js';
import { fakeCredentials, fakeFetch, json, tenantSettings, TENANT_ID, type Route } from '../contract/fakes.js';

const EXO_OK = { '@adminapi.warnings': [], value: [] };

function setup(route: Route, options: MicrosoftClientsOptions = {}, settings: Partial<TenantSettings> = {}) {
  const recorder = fakeFetch(route);
  const credentials = fakeCredentials();
  const sleeps: number[] = [];
  const clients = createMicrosoftClients(tenantSettings(settings), {
    fetch: recorder.fetch,
    createCredential: credentials.create,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    tokens: { forbiddenRefreshIntervalMs: 60_000 },
    // Pauses are the limiter's own business (tested on their own); here they would only slow the tests.
    limiters: { graph: { maxPauseMs: 0 }, exchange: { maxPauseMs: 0 } },
    ...options,
  });
  return { clients, calls: recorder.calls, credentials, sleeps };
}

const failWith = (error: unknown) => error;

describe('scopes', () => {
  it.each([
    ['https://graph.microsoft.com', 'https://graph.microsoft.com/.default'],
    ['https://127.0.0.1:7443', 'https://graph.microsoft.com/.default'],
    ['https://graph.microsoft.us', 'https://graph.microsoft.us/.default'],
    ['https://microsoftgraph.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn/.default'],
    ['https://graph.evil-microsoft.com.example', 'https://graph.microsoft.com/.default'],
  ])('Graph at %s → %s', (base, scope) => {
    expect(graphScope(base)).toBe(scope);
  });

  it.each([
    ['https://outlook.office365.com', 'https://outlook.office365.com/.default'],
    ['https://localhost:7443', 'https://outlook.office365.com/.default'],
    ['https://outlook.office365.us', 'https://outlook.office365.us/.default'],
  ])('Exchange at %s → %s', (base, scope) => {
    expect(exchangeScope(base)).toBe(scope);
  });
});

describe('createMicrosoftCredential', () => {
  it.each([
    [{ kind: 'clientSecret', tenantId: TENANT_ID, clientId: 'c', clientSecret: 's' } as const, ClientSecretCredential],
    [
      {
        kind: 'clientCertificate',
        tenantId: TENANT_ID,
        clientId: 'c',
        certificatePath: '/nonexistent/cert.pem',
      } as const,
      ClientCertificateCredential,
    ],
    [{ kind: 'managedIdentity', tenantId: TENANT_ID, clientId: 'c' } as const, ManagedIdentityCredential],
    [{ kind: 'managedIdentity', tenantId: TENANT_ID } as const, ManagedIdentityCredential],
  ])('%o → the matching @azure/identity credential', (credential, expected) => {
    expect(createMicrosoftCredential(tenantSettings({ credential }))).toBeInstanceOf(expected);
  });

  it('no tenant configured → ConfigError', () => {
    expect(() => createMicrosoftCredential(undefined)).toThrow(ConfigError);
  });
});

describe('Exchange client requests', () => {
  it('POSTs InvokeCommand with the envelope and the constant headers, token for outlook.office365.com', async () => {
    const { clients, calls } = setup(() => json(EXO_OK), {}, { exchangeBaseUrl: 'https://127.0.0.1:7443' });

    await clients.exchange.getMailboxPermission("o'brien#ops@contoso.com");

    expect(calls).toHaveLength(1);
    const call = calls[0];
    expect(call?.url).toBe(`https://127.0.0.1:7443/adminapi/beta/${TENANT_ID}/InvokeCommand`);
    expect(call?.method).toBe('POST');
    expect(call?.headers).toMatchObject({
      Authorization: 'Bearer token-1-for-https://outlook.office365.com/.default',
      'Content-Type': 'application/json',
      'X-AnchorMailbox': `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${TENANT_ID}`,
      Prefer: 'odata.maxpagesize=1000',
    });
    const parameters = { Identity: "o'brien#ops@contoso.com", IncludeUnresolvedPermissions: true };
    const cmdletInput = { CmdletName: 'Get-MailboxPermission', Parameters: parameters };
    expect(JSON.parse(call?.body ?? '')).toEqual({ CmdletInput: cmdletInput });
  });

  it('sends Parameters {} (never null) and $select on the URL', async () => {
    const { clients, calls } = setup(() => json(EXO_OK));

    await clients.exchange.invokeAll('Get-Mailbox', undefined, { select: ['Identity', 'GrantSendOnBehalfTo'] });

    expect(calls[0]?.url).toMatch(/\/InvokeCommand\?\$select=Identity%2CGrantSendOnBehalfTo$/);
    expect(JSON.parse(calls[0]?.body ?? '')).toEqual({ CmdletInput: { CmdletName: 'Get-Mailbox', Parameters: {} } });
  });

  it('surfaces @adminapi.warnings per page and to the warning hook', async () => {
    const seen: string[] = [];
    const { clients } = setup(() => json({ '@adminapi.warnings': ['The result may be truncated'], value: [] }), {
      onExchangeWarnings: (w) => seen.push(`${w.cmdlet}: ${w.warnings.join()}`),
    });

    const page = await clients.exchange.invokeAll('Get-Recipient', { Identity: 'x' });

    expect(page.warnings).toEqual(['The result may be truncated']);
    expect(seen).toEqual(['Get-Recipient: The result may be truncated']);
  });

  it('refuses to follow a nextLink to another host (the token would leak)', async () => {
    const { clients, calls } = setup(() =>
      json({ value: [], '@odata.nextLink': 'https://attacker.example/adminapi/beta/x/InvokeCommand?page=2' }),
    );

    const error = await clients.exchange.invokeAll('Get-Mailbox', { ResultSize: 'Unlimited' }).catch(failWith);

    expect((error as PermanentUpstreamError).code).toBe('EXCHANGE.UNTRUSTED_HOST');
    expect(calls.map((c) => new URL(c.url).hostname)).toEqual(['outlook.office365.com']);
  });

  it('getMailbox → undefined and getRecipient → [] when Exchange does not know the identity', async () => {
    const notFound = {
      error: {
        code: 'BadRequest',
        message: 'Invalid Operation',
        innererror: { internalexception: { message: 'not found', type: 'ManagementObjectNotFoundException' } },
      },
    };
    const { clients } = setup(() => json(notFound, 400));

    expect(await clients.exchange.getMailbox('ghost')).toBeUndefined();
    expect(await clients.exchange.getRecipient('ghost')).toEqual([]);
    await expect(clients.exchange.getMailboxPermission('ghost')).rejects.toMatchObject({ code: 'EXCHANGE.NOT_FOUND' });
  });
});

describe('retries and throttling', () => {
  it('a 429 with Retry-After is retried after that delay and halves the limiter', async () => {
    const { clients, calls, sleeps } = setup((_c, i) =>
      i === 0 ? json({ error: { code: 'TooManyRequests' } }, 429, { 'Retry-After': '2' }) : json(EXO_OK),
    );
    // Exchange's limiter paces by rate (docs/wire.md, "Exchange pacing"): the 429 halves the rate (slow start).
    const before = clients.limiters.exchange.stats().ratePerSecond ?? 0;

    await clients.exchange.getMailboxPermission('a@contoso.com');

    expect(calls).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
    expect(clients.limiters.exchange.stats()).toMatchObject({ throttled: 1, ratePerSecond: before / 2 });
  });

  it('a 429 without Retry-After backs off with jitter, growing', async () => {
    const { clients, sleeps } = setup((_c, i) => (i < 3 ? new Response('', { status: 429 }) : json(EXO_OK)), {
      retry: { baseDelayMs: 100, maxDelayMs: 10_000 },
    });

    await clients.exchange.getMailboxPermission('a@contoso.com');

    expect(sleeps).toHaveLength(3);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[2]).toBeGreaterThanOrEqual(200);
    expect(sleeps[2]).toBeLessThanOrEqual(400);
  });

  it('still throttled after the attempts → ThrottledError for the caller (queue can delay)', async () => {
    const { clients, calls } = setup(() => new Response('', { status: 429, headers: { 'Retry-After': '1' } }), {
      retry: { maxAttempts: 3 },
    });

    const error = await clients.exchange.getMailboxPermission('a@contoso.com').catch(failWith);

    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).retryAfterMs).toBe(1000);
    expect(calls).toHaveLength(3);
  });

  it('a Retry-After beyond the wait budget surfaces at once', async () => {
    const { clients, calls } = setup(() => new Response('', { status: 429, headers: { 'Retry-After': '120' } }));

    const error = await clients.exchange.getMailboxPermission('a@contoso.com').catch(failWith);

    expect(error).toBeInstanceOf(ThrottledError);
    expect(calls).toHaveLength(1);
  });

  it.each([
    ['503', () => new Response('Service Unavailable', { status: 503 })],
    ['a dropped connection', () => Promise.reject(new Error('socket hang up'))],
    ['a truncated JSON body', () => new Response('{"value":[{"Identity"', { status: 200 })],
  ])('%s is retried and then succeeds', async (_name, fault) => {
    const { clients, calls } = setup((_c, i) => (i < 2 ? fault() : json(EXO_OK)));

    await expect(clients.exchange.getMailboxPermission('a@contoso.com')).resolves.toEqual([]);
    expect(calls).toHaveLength(3);
  });

  it('persistent malformed JSON → RetryableError EXCHANGE.MALFORMED_RESPONSE', async () => {
    const { clients } = setup(() => new Response('{"value":[', { status: 200 }), { retry: { maxAttempts: 2 } });

    const error = await clients.exchange.getMailboxPermission('a@contoso.com').catch(failWith);

    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).code).toBe('EXCHANGE.MALFORMED_RESPONSE');
  });

  it('a 400 is not retried', async () => {
    const { clients, calls } = setup(() => json({ error: { message: 'bad' } }, 400));

    await expect(clients.exchange.getMailboxPermission('a')).rejects.toMatchObject({ code: 'EXCHANGE.BAD_REQUEST' });
    expect(calls).toHaveLength(1);
  });
});

describe('token refresh', () => {
  it('a 401 drops the cached token, builds a fresh credential and retries once', async () => {
    const { clients, calls, credentials } = setup((call) =>
      call.headers.Authorization?.includes('token-1-')
        ? json({ error: { code: 'InvalidAuthenticationToken', message: 'expired' } }, 401)
        : json(EXO_OK),
    );
    const createdBefore = credentials.created;

    await clients.exchange.getMailboxPermission('a@contoso.com');

    expect(calls.map((c) => c.headers.Authorization?.split('-for-')[0])).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(credentials.created).toBe(createdBefore + 1);
    expect(clients.tokens.exchange.stats()).toMatchObject({ forcedRefreshes: 1, tokensAcquired: 2 });
  });

  it('a second 401 surfaces UNAUTHORIZED without the token in the message', async () => {
    const { clients, calls } = setup(() => json({ error: { message: 'bad audience' } }, 401));

    const error = await clients.graph.getGroup('g').catch(failWith);

    expect((error as PermanentUpstreamError).code).toBe('GRAPH.UNAUTHORIZED');
    expect((error as Error).message).not.toContain('token-');
    expect(calls).toHaveLength(2);
  });

  it('a 403 refreshes once (stale roles), then at most once per interval', async () => {
    const { clients, calls } = setup(() =>
      json({ error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges' } }, 403),
    );

    const first = await clients.graph.calendarPermissions('u1').catch(failWith);
    const second = await clients.graph.calendarPermissions('u1').catch(failWith);

    expect((first as PermanentUpstreamError).code).toBe('GRAPH.FORBIDDEN');
    expect((first as Error).message).toContain('grant the application permission Calendars.Read');
    expect((second as PermanentUpstreamError).code).toBe('GRAPH.FORBIDDEN');
    expect(calls).toHaveLength(3);
  });

  it('Graph and Exchange use separate tokens', async () => {
    const { clients, calls } = setup((call) => (call.url.includes('/adminapi/') ? json(EXO_OK) : json({ value: [] })));

    await clients.exchange.getRecipient('x');
    await clients.graph.findGroupsByMail('x@contoso.com');

    expect(calls[0]?.headers.Authorization).toContain('for-https://outlook.office365.com/.default');
    expect(calls[1]?.headers.authorization ?? calls[1]?.headers.Authorization).toContain(
      'for-https://graph.microsoft.com/.default',
    );
  });
});

describe('Graph client requests', () => {
  it('filters with escaped, percent-encoded literals', async () => {
    const { clients, calls } = setup(() => json({ value: [] }));

    await clients.graph.findGroupsByMail("o'brien#ops@contoso.com");
    await clients.graph.searchGroups("Sales' or 1", 5);

    const filters = calls.map((c) => new URL(c.url).searchParams.get('$filter'));
    expect(filters).toEqual(["mail eq 'o''brien#ops@contoso.com'", "startswith(displayName,'Sales'' or 1')"]);
    expect(new URL(calls[1]?.url ?? '').searchParams.get('$top')).toBe('5');
  });

  it('getUser encodes the UPN as one path segment and gives undefined on 404', async () => {
    const { clients, calls } = setup(() => json({ error: { code: 'Request_ResourceNotFound', message: 'nope' } }, 404));

    expect(await clients.graph.getUser("o'brien#ops@contoso.com")).toBeUndefined();
    expect(new URL(calls[0]?.url ?? '').pathname).toBe('/v1.0/users/o%27brien%23ops%40contoso.com');
  });

  it('findUserByMail tries mail, then proxyAddresses', async () => {
    const user = {
      id: 'u1',
      displayName: 'U',
      userPrincipalName: 'u@contoso.onmicrosoft.com',
      mail: 'u@contoso.com',
      accountEnabled: false,
    };
    const { clients, calls } = setup((_c, i) => json({ value: i === 0 ? [] : [user] }));

    expect(await clients.graph.findUserByMail('alias@contoso.com')).toEqual(user);
    expect(calls.map((c) => new URL(c.url).searchParams.get('$filter'))).toEqual([
      "mail eq 'alias@contoso.com'",
      "proxyAddresses/any(p:p eq 'smtp:alias@contoso.com')",
    ]);
  });

  it('$batch re-sends only throttled items, honouring Retry-After, and keeps other failures', async () => {
    const bodies: Array<{ requests: Array<{ id: string; url: string }> }> = [];
    const { clients, sleeps } = setup((call) => {
      const body = JSON.parse(call.body ?? '{}') as { requests: Array<{ id: string; url: string }> };
      bodies.push(body);
      return json({
        responses: body.requests.map((r) => {
          if (r.url.includes('missing'))
            return { id: r.id, status: 404, body: { error: { code: 'Request_ResourceNotFound', message: 'gone' } } };
          if (r.url.includes('busy') && bodies.length === 1)
            return {
              id: r.id,
              status: 429,
              headers: { 'Retry-After': '3' },
              body: { error: { code: 'TooManyRequests', message: 'slow' } },
            };
          return { id: r.id, status: 200, body: { value: [r.url] } };
        }),
      });
    });

    const results = await clients.graph.batch([
      { url: '/users/ok' },
      { url: '/users/busy' },
      { url: '/users/missing' },
    ]);

    expect(results.map((r) => (r.ok ? r.value.status : r.error.code))).toEqual([200, 200, 'GRAPH.NOT_FOUND']);
    expect(bodies.map((b) => b.requests.map((r) => r.url))).toEqual([
      ['/users/ok', '/users/busy', '/users/missing'],
      ['/users/busy'],
    ]);
    expect(sleeps).toEqual([3000]);
    expect(clients.limiters.graph.stats().throttled).toBe(1);
  });

  it('$batch item throttled on every attempt → ThrottledError for that item only', async () => {
    const { clients } = setup(
      (call) => {
        const body = JSON.parse(call.body ?? '{}') as { requests: Array<{ id: string; url: string }> };
        return json({
          responses: body.requests.map((r) => ({ id: r.id, status: r.url.includes('busy') ? 503 : 200, body: {} })),
        });
      },
      { retry: { maxAttempts: 3 } },
    );

    const results = await clients.graph.batch([{ url: '/users/busy' }, { url: '/users/ok' }]);

    expect(results[0]?.ok).toBe(false);
    expect((results[0] as { ok: false; error: Error }).error).toBeInstanceOf(ThrottledError);
    expect(results[1]?.ok).toBe(true);
  });

  it('$batch refuses more than 20 requests', async () => {
    const { clients } = setup(() => json({ responses: [] }));
    await expect(clients.graph.batch(Array.from({ length: 21 }, () => ({ url: '/users/x' })))).rejects.toThrow(
      RangeError,
    );
  });
});
