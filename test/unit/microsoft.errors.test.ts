import { describe, expect, it } from 'vitest';
import { PermanentUpstreamError, RetryableError, ThrottledError } from '../../shared/errors.js';
import {
  classifyHttpFailure,
  extractExchangeError,
  extractGraphError,
  parseRetryAfter,
  type HttpFailure,
} from '../../shared/adapters/microsoft/index.js';

const exoError = (error: Record<string, unknown>) => JSON.stringify({ error: { code: 'BadRequest', message: 'Invalid Operation', ...error } });

describe('extractExchangeError', () => {
  it.each([
    {
      variant: 'innererror.internalexception wins',
      body: exoError({
        details: [{ code: 'Client', message: '|Some.Type|details text' }],
        innererror: { message: 'inner text', type: 'Cmdlet', internalexception: { message: 'internal text', type: 'Microsoft.Exchange.X.ManagementObjectNotFoundException' } },
      }),
      expected: { message: 'internal text', type: 'Microsoft.Exchange.X.ManagementObjectNotFoundException' },
    },
    {
      variant: 'details[0].message with the |Type| prefix stripped',
      body: exoError({ details: [{ code: 'Client', target: '', message: '|Microsoft.Exchange.Data.StorageTransientException|Mailbox database busy.' }] }),
      expected: { message: 'Mailbox database busy.', type: 'Microsoft.Exchange.Data.StorageTransientException' },
    },
    {
      variant: 'details[0].message without a prefix',
      body: exoError({ details: [{ message: 'plain details' }] }),
      expected: { message: 'plain details' },
    },
    {
      variant: 'outer message as last resort',
      body: exoError({}),
      expected: { message: 'Invalid Operation' },
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
    const body = JSON.stringify({ error: { code: 'Request_ResourceNotFound', message: "Resource 'g1' does not exist", innerError: { 'request-id': 'r' } } });
    expect(extractGraphError(body)).toEqual({ message: "Resource 'g1' does not exist", type: 'Request_ResourceNotFound' });
  });
});

const failure = (overrides: Partial<HttpFailure>): HttpFailure => ({ service: 'exchange', status: 400, bodyText: '', operation: 'Get-MailboxPermission', ...overrides });

describe('classifyHttpFailure', () => {
  it.each([
    { name: 'EXO 429 with Retry-After', f: failure({ status: 429, retryAfterMs: 3000 }), cls: ThrottledError, code: 'EXCHANGE.THROTTLED', retryAfterMs: 3000 },
    { name: 'EXO 429 without Retry-After', f: failure({ status: 429 }), cls: ThrottledError, code: 'EXCHANGE.THROTTLED', retryAfterMs: undefined },
    { name: 'EXO 503', f: failure({ status: 503 }), cls: RetryableError, code: 'EXCHANGE.UNAVAILABLE' },
    { name: 'EXO 504', f: failure({ status: 504 }), cls: RetryableError, code: 'EXCHANGE.UNAVAILABLE' },
    {
      name: 'EXO 400 with a transient exception type',
      f: failure({ bodyText: exoError({ details: [{ message: '|Microsoft.Exchange.Data.Directory.ADTransientException|DC down' }] }) }),
      cls: RetryableError,
      code: 'EXCHANGE.TRANSIENT',
    },
    {
      name: 'EXO 500 ServerBusyException',
      f: failure({ status: 500, bodyText: exoError({ innererror: { internalexception: { message: 'busy', type: 'Microsoft.Exchange.ServerBusyException' } } }) }),
      cls: RetryableError,
      code: 'EXCHANGE.TRANSIENT',
    },
    {
      name: 'EXO MapiExceptionRpc',
      f: failure({ bodyText: exoError({ innererror: { internalexception: { message: 'rpc', type: 'Microsoft.Mapi.MapiExceptionRpcServerTooBusy' } } }) }),
      cls: RetryableError,
      code: 'EXCHANGE.TRANSIENT',
    },
    {
      name: 'EXO 400 ManagementObjectNotFoundException',
      f: failure({ bodyText: exoError({ innererror: { internalexception: { message: 'gone', type: 'Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException' } } }) }),
      cls: PermanentUpstreamError,
      code: 'EXCHANGE.NOT_FOUND',
    },
    { name: 'EXO 404', f: failure({ status: 404 }), cls: PermanentUpstreamError, code: 'EXCHANGE.NOT_FOUND' },
    { name: 'EXO 403 non-JSON', f: failure({ status: 403, bodyText: 'Forbidden' }), cls: PermanentUpstreamError, code: 'EXCHANGE.FORBIDDEN' },
    { name: 'EXO 400 other', f: failure({ bodyText: exoError({ details: [{ message: '|X.ParameterBindingException|A parameter cannot be found' }] }) }), cls: PermanentUpstreamError, code: 'EXCHANGE.BAD_REQUEST' },
    { name: 'EXO 401', f: failure({ status: 401 }), cls: PermanentUpstreamError, code: 'EXCHANGE.UNAUTHORIZED' },
    { name: 'Graph 429', f: failure({ service: 'graph', status: 429, retryAfterMs: 7000 }), cls: ThrottledError, code: 'GRAPH.THROTTLED', retryAfterMs: 7000 },
    { name: 'Graph 503', f: failure({ service: 'graph', status: 503 }), cls: RetryableError, code: 'GRAPH.UNAVAILABLE' },
    { name: 'Graph 404', f: failure({ service: 'graph', status: 404 }), cls: PermanentUpstreamError, code: 'GRAPH.NOT_FOUND' },
    {
      name: 'Graph MailboxNotEnabledForRESTAPI',
      f: failure({ service: 'graph', status: 404, bodyText: JSON.stringify({ error: { code: 'MailboxNotEnabledForRESTAPI', message: 'no mailbox' } }) }),
      cls: PermanentUpstreamError,
      code: 'GRAPH.NOT_FOUND',
    },
    { name: 'Graph 400 ($top > 999)', f: failure({ service: 'graph', status: 400 }), cls: PermanentUpstreamError, code: 'GRAPH.BAD_REQUEST' },
  ])('$name → $code', ({ f, cls, code, ...rest }) => {
    const error = classifyHttpFailure(f);
    expect(error).toBeInstanceOf(cls);
    expect(error.code).toBe(code);
    if ('retryAfterMs' in rest) expect((error as RetryableError).retryAfterMs).toBe(rest.retryAfterMs);
    if (cls === PermanentUpstreamError) expect(error).not.toBeInstanceOf(RetryableError);
  });

  it('Exchange 403 tells the admin the fix', () => {
    const error = classifyHttpFailure(failure({ status: 403, bodyText: 'The user is not authorized' }));
    expect(error.message).toContain('grant Exchange.ManageAsApp and an Exchange role such as View-Only Recipients');
    expect(error.message).toContain('The user is not authorized');
  });

  it('Graph 403 names the missing application permission', () => {
    const body = JSON.stringify({ error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } });
    const error = classifyHttpFailure({ service: 'graph', status: 403, bodyText: body, operation: 'calendarPermissions', permission: 'Calendars.Read' });
    expect(error.code).toBe('GRAPH.FORBIDDEN');
    expect(error.message).toContain('grant the application permission Calendars.Read');
    expect(error.message).toContain('Insufficient privileges');
  });

  it('names the operation', () => {
    expect(classifyHttpFailure(failure({ status: 404, operation: 'Get-Recipient' })).message).toContain('Exchange Get-Recipient failed (HTTP 404');
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
