import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PermanentUpstreamError, RetryableError, ThrottledError } from '../../shared/errors.js';
import {
  GRAPH_PERMISSIONS,
  classifyHttpFailure,
  extractExchangeError,
  extractGraphError,
  parseRetryAfter,
  type HttpFailure,
} from '../../shared/adapters/microsoft/index.js';

const exoError = (error: Record<string, unknown>) =>
  JSON.stringify({ error: { code: 'BadRequest', message: 'Invalid Operation', ...error } });

const fixture = (name: string): string =>
  readFileSync(new URL(`../contract/fixtures/${name}`, import.meta.url), 'utf8');

const NOT_FOUND_TYPE = 'Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException';
const TRANSIENT_TYPE = 'Microsoft.Exchange.Data.StorageTransientException';
const WRAPPER_TYPE = 'Microsoft.Exchange.Management.PSDirectInvoke.DirectInvokeCmdletExecutionException';
const GHOST_TEXT =
  "The operation couldn't be performed because object 'ghost@contoso.com' couldn't be found on " +
  "'AM6PR04A08DC001.EURPR04A008.PROD.OUTLOOK.COM'.";

/** Today's answer (exo-error-notfound.json) with the given details and exception type. */
const todayError = (detail: string, code = 'BadRequest') =>
  JSON.stringify({
    error: {
      code,
      message: 'Error executing cmdlet',
      details: [{ code: 'Client', target: '', message: detail }],
      innererror: {
        message: 'Error executing cmdlet',
        type: 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException',
        internalexception: { message: `Exception of type '${WRAPPER_TYPE}' was thrown.`, type: WRAPPER_TYPE },
      },
    },
    '@adminapi.warnings': [],
  });

describe('extractExchangeError', () => {
  it.each([
    {
      variant: "today's form (exo-error-notfound.json): the real type and sentence from details, code kept",
      body: fixture('exo-error-notfound.json'),
      expected: { message: GHOST_TEXT, type: NOT_FOUND_TYPE, code: 'NotFound' },
    },
    {
      variant: 'legacy form (exo-error-legacy.json)',
      body: fixture('exo-error-legacy.json'),
      expected: { message: GHOST_TEXT, type: NOT_FOUND_TYPE, code: 'BadRequest' },
    },
    {
      variant: 'details win over a legacy internalexception',
      body: exoError({
        details: [{ code: 'Client', message: '|Some.Type|details text' }],
        innererror: {
          message: 'inner text',
          type: 'Cmdlet',
          internalexception: { message: 'internal text', type: 'X.Other' },
        },
      }),
      expected: { message: 'details text', type: 'Some.Type', code: 'BadRequest' },
    },
    {
      variant: 'an Ex-code before the type',
      body: exoError({ details: [{ message: `Ex94914C|${TRANSIENT_TYPE}|Mailbox busy.` }] }),
      expected: { message: 'Mailbox busy.', type: TRANSIENT_TYPE, code: 'BadRequest' },
    },
    {
      variant: 'an empty code before the type',
      body: exoError({ details: [{ code: 'Client', target: '', message: `|${TRANSIENT_TYPE}|Busy.` }] }),
      expected: { message: 'Busy.', type: TRANSIENT_TYPE, code: 'BadRequest' },
    },
    {
      variant: 'the typed detail is found after an untyped one',
      body: exoError({ details: [{ message: 'plain first' }, { message: 'Ex1|A.ServerBusyException|second' }] }),
      expected: { message: 'second', type: 'A.ServerBusyException', code: 'BadRequest' },
    },
    {
      variant: 'legacy internalexception when details are missing',
      body: exoError({ innererror: { message: 'x', internalexception: { message: 'internal text', type: 'T.X' } } }),
      expected: { message: 'internal text', type: 'T.X', code: 'BadRequest' },
    },
    {
      variant: 'the generic wrapper is never taken for the cause',
      body: exoError({
        message: 'Error executing cmdlet',
        innererror: {
          message: 'Error executing cmdlet',
          internalexception: { message: `Exception of type '${WRAPPER_TYPE}' was thrown.`, type: WRAPPER_TYPE },
        },
      }),
      expected: { message: 'Error executing cmdlet', code: 'BadRequest' },
    },
    {
      variant: 'details[0].message without a prefix',
      body: exoError({ details: [{ message: 'plain details' }] }),
      expected: { message: 'plain details', code: 'BadRequest' },
    },
    {
      variant: 'outer message as last resort',
      body: exoError({}),
      expected: { message: 'Invalid Operation', code: 'BadRequest' },
    },
    {
      variant: 'non-JSON 403 body used as text',
      body: '<html><body>403 Forbidden: The user is not authorized</body></html>',
      expected: { message: '<html><body>403 Forbidden: The user is not authorized</body></html>' },
    },
    { variant: 'empty body', body: '', expected: { message: '(empty response body)' } },
  ])('$variant', ({ body, expected }) => {
    expect(extractExchangeError(body)).toEqual(expected);
  });

  it('truncates huge bodies', () => {
    expect(extractExchangeError('x'.repeat(5000)).message.length).toBeLessThanOrEqual(501);
  });
});

describe('extractGraphError', () => {
  it('reads error.code and error.message', () => {
    const body = JSON.stringify({
      error: {
        code: 'Request_ResourceNotFound',
        message: "Resource 'g1' does not exist",
        innerError: { 'request-id': 'r' },
      },
    });
    expect(extractGraphError(body)).toEqual({
      message: "Resource 'g1' does not exist",
      type: 'Request_ResourceNotFound',
    });
  });
});

const failure = (overrides: Partial<HttpFailure>): HttpFailure => ({
  service: 'exchange',
  status: 400,
  bodyText: '',
  operation: 'Get-MailboxPermission',
  ...overrides,
});

describe('classifyHttpFailure', () => {
  it.each([
    {
      name: 'EXO 429 with Retry-After',
      f: failure({ status: 429, retryAfterMs: 3000 }),
      cls: ThrottledError,
      code: 'EXCHANGE.THROTTLED',
      retryAfterMs: 3000,
    },
    {
      name: 'EXO 429 without Retry-After',
      f: failure({ status: 429 }),
      cls: ThrottledError,
      code: 'EXCHANGE.THROTTLED',
      retryAfterMs: undefined,
    },
    { name: 'EXO 503', f: failure({ status: 503 }), cls: RetryableError, code: 'EXCHANGE.UNAVAILABLE' },
    { name: 'EXO 504', f: failure({ status: 504 }), cls: RetryableError, code: 'EXCHANGE.UNAVAILABLE' },
    {
      name: 'EXO 400 with a transient exception type',
      f: failure({
        bodyText: exoError({
          details: [{ message: '|Microsoft.Exchange.Data.Directory.ADTransientException|DC down' }],
        }),
      }),
      cls: RetryableError,
      code: 'EXCHANGE.TRANSIENT',
    },
    {
      name: 'EXO 500 ServerBusyException',
      f: failure({
        status: 500,
        bodyText: exoError({
          innererror: { internalexception: { message: 'busy', type: 'Microsoft.Exchange.ServerBusyException' } },
        }),
      }),
      cls: RetryableError,
      code: 'EXCHANGE.TRANSIENT',
    },
    {
      name: 'EXO MapiExceptionRpc',
      f: failure({
        bodyText: exoError({
          innererror: { internalexception: { message: 'rpc', type: 'Microsoft.Mapi.MapiExceptionRpcServerTooBusy' } },
        }),
      }),
      cls: RetryableError,
      code: 'EXCHANGE.TRANSIENT',
    },
    {
      name: 'EXO 400 ManagementObjectNotFoundException',
      f: failure({
        bodyText: exoError({
          innererror: {
            internalexception: {
              message: 'gone',
              type: 'Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException',
            },
          },
        }),
      }),
      cls: PermanentUpstreamError,
      code: 'EXCHANGE.NOT_FOUND',
    },
    { name: 'EXO 404', f: failure({ status: 404 }), cls: PermanentUpstreamError, code: 'EXCHANGE.NOT_FOUND' },
    {
      name: "EXO 404 in today's form (exo-error-notfound.json)",
      f: failure({ status: 404, bodyText: fixture('exo-error-notfound.json') }),
      cls: PermanentUpstreamError,
      code: 'EXCHANGE.NOT_FOUND',
    },
    {
      name: 'EXO 400 in the legacy form (exo-error-legacy.json)',
      f: failure({ bodyText: fixture('exo-error-legacy.json') }),
      cls: PermanentUpstreamError,
      code: 'EXCHANGE.NOT_FOUND',
    },
    {
      name: 'EXO error.code NotFound with an untyped detail',
      f: failure({ bodyText: todayError('no such object', 'NotFound') }),
      cls: PermanentUpstreamError,
      code: 'EXCHANGE.NOT_FOUND',
    },
    // Regression: the type used to be read from the invoke wrapper, so a transient cause was never retried.
    {
      name: "EXO transient type in today's form (wrapper in innererror)",
      f: failure({ bodyText: todayError('Ex1A2B3C|Microsoft.Exchange.Data.Directory.ADTransientException|DC down') }),
      cls: RetryableError,
      code: 'EXCHANGE.TRANSIENT',
    },
    {
      name: "EXO ParameterBindingException in today's form",
      f: failure({ bodyText: todayError('|System.Management.Automation.ParameterBindingException|No such name') }),
      cls: PermanentUpstreamError,
      code: 'EXCHANGE.BAD_REQUEST',
    },
    {
      name: 'EXO 403 non-JSON',
      f: failure({ status: 403, bodyText: 'Forbidden' }),
      cls: PermanentUpstreamError,
      code: 'EXCHANGE.FORBIDDEN',
    },
    {
      name: 'EXO 400 other',
      f: failure({
        bodyText: exoError({ details: [{ message: '|X.ParameterBindingException|A parameter cannot be found' }] }),
      }),
      cls: PermanentUpstreamError,
      code: 'EXCHANGE.BAD_REQUEST',
    },
    { name: 'EXO 401', f: failure({ status: 401 }), cls: PermanentUpstreamError, code: 'EXCHANGE.UNAUTHORIZED' },
    {
      name: 'Graph 429',
      f: failure({ service: 'graph', status: 429, retryAfterMs: 7000 }),
      cls: ThrottledError,
      code: 'GRAPH.THROTTLED',
      retryAfterMs: 7000,
    },
    {
      name: 'Graph 503',
      f: failure({ service: 'graph', status: 503 }),
      cls: RetryableError,
      code: 'GRAPH.UNAVAILABLE',
    },
    {
      name: 'Graph 404',
      f: failure({ service: 'graph', status: 404 }),
      cls: PermanentUpstreamError,
      code: 'GRAPH.NOT_FOUND',
    },
    {
      name: 'Graph MailboxNotEnabledForRESTAPI',
      f: failure({
        service: 'graph',
        status: 404,
        bodyText: JSON.stringify({ error: { code: 'MailboxNotEnabledForRESTAPI', message: 'no mailbox' } }),
      }),
      cls: PermanentUpstreamError,
      code: 'GRAPH.NOT_FOUND',
    },
    {
      name: 'Graph 400 ($top > 999)',
      f: failure({ service: 'graph', status: 400 }),
      cls: PermanentUpstreamError,
      code: 'GRAPH.BAD_REQUEST',
    },
  ])('$name → $code', ({ f, cls, code, ...rest }) => {
    const error = classifyHttpFailure(f);
    expect(error).toBeInstanceOf(cls);
    expect(error.code).toBe(code);
    if ('retryAfterMs' in rest) expect((error as RetryableError).retryAfterMs).toBe(rest.retryAfterMs);
    if (cls === PermanentUpstreamError) expect(error).not.toBeInstanceOf(RetryableError);
  });

  it("the failed item's text is the real sentence, never the invoke wrapper", () => {
    const error = classifyHttpFailure(failure({ status: 404, bodyText: fixture('exo-error-notfound.json') }));

    expect(error.message).toContain(GHOST_TEXT);
    expect(error.message).toContain(NOT_FOUND_TYPE);
    expect(error.message).not.toContain('DirectInvokeCmdletExecutionException');
    expect(error.message).not.toContain('Error executing cmdlet');
  });

  it.each([
    ['a non-JSON body', 'The user is not authorized'],
    ['a JSON body', todayError('|Microsoft.Exchange.Configuration.Tasks.AccessDeniedException|Access denied.')],
  ])('Exchange 403 with %s names both documented ways to give the app a role', (_kind, bodyText) => {
    const error = classifyHttpFailure(failure({ status: 403, bodyText }));

    expect(error.code).toBe('EXCHANGE.FORBIDDEN');
    const parts = ['Exchange.ManageAsApp', 'Global Reader', 'New-ServicePrincipal', 'New-ManagementRoleAssignment'];
    for (const part of [...parts, 'View-Only Recipients', 'Add-RoleGroupMember']) {
      expect(error.message).toContain(part);
    }
  });

  it('Graph 403 names the missing application permission', () => {
    const body = JSON.stringify({
      error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' },
    });
    const permission = GRAPH_PERMISSIONS.groups;
    const error = classifyHttpFailure({ service: 'graph', status: 403, bodyText: body, operation: 'g', permission });
    expect(error.code).toBe('GRAPH.FORBIDDEN');
    expect(error.message).toContain('grant the application permission GroupMember.Read.All');
    expect(error.message).toContain('Insufficient privileges');
  });

  it("Graph calendar 403 ErrorAccessDenied: a mailbox outside the app's scope, or the permission missing", () => {
    const error = classifyHttpFailure({
      service: 'graph',
      status: 403,
      bodyText: fixture('graph-error-calendar-denied.json'),
      operation: 'calendarPermissions',
      permission: GRAPH_PERMISSIONS.calendars,
    });

    expect(GRAPH_PERMISSIONS.calendars).toBe('Calendars.ReadBasic.All');
    expect(error.code).toBe('GRAPH.FORBIDDEN');
    expect(error.message).toContain('RBAC for Applications or an application access policy');
    expect(error.message).toContain('grant the application permission Calendars.ReadBasic.All');
  });

  it('names the operation', () => {
    expect(classifyHttpFailure(failure({ status: 404, operation: 'Get-Recipient' })).message).toContain(
      'Exchange Get-Recipient failed (HTTP 404',
    );
  });
});

describe('parseRetryAfter', () => {
  it.each([
    { value: '7', expected: 7000 },
    { value: '0', expected: 0 },
    { value: '1.5', expected: 1500 },
    { value: null, expected: undefined },
    { value: '', expected: undefined },
    { value: 'soon', expected: undefined },
    { value: '-3', expected: undefined },
  ])('$value → $expected', ({ value, expected }) => {
    expect(parseRetryAfter(value)).toBe(expected);
  });

  it('accepts an HTTP date', () => {
    const now = Date.parse('2026-11-28T01:02:03Z');
    expect(parseRetryAfter('Sat, 28 Nov 2026 01:02:13 GMT', now)).toBe(10_000);
  });
});
