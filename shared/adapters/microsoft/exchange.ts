import { AppError, PermanentUpstreamError } from '../../errors.js';
import { retryBatchItems, type ItemOutcome } from './retry.js';
import {
  mailboxPermissionRowSchema,
  mailboxRowSchema,
  parseRows,
  recipientPermissionRowSchema,
  recipientRowSchema,
} from './rows.js';
import type {
  ExchangePort,
  MailboxField,
  MailboxPermissionRow,
  MailboxRow,
  RecipientPermissionRow,
  RecipientRow,
} from '../../ports/microsoft.js';
import { readBatchResponses } from './batchEnvelope.js';
import { sendWithRetries, type ServiceContext } from './serviceHttp.js';
import { classifyHttpFailure, malformedResponse, parseRetryAfter } from './upstreamErrors.js';

/** Exchange's system mailbox GUID; the anchor header routes every app-only call of a tenant alike. */
const SYSTEM_MAILBOX_ANCHOR = 'SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}';
export const EXCHANGE_BATCH_LIMIT = 10;

export type CmdletParameters = Readonly<Record<string, string | number | boolean | readonly string[]>>;

/** One page of cmdlet output: raw rows plus `@adminapi.warnings` (non-empty can mean truncation). */
export interface ExchangePage {
  rows: unknown[];
  warnings: string[];
}

export interface ExchangeCommand {
  cmdlet: string;
  parameters?: CmdletParameters;
  select?: readonly string[];
}

export interface ExchangeWarning {
  cmdlet: string;
  warnings: string[];
}

export interface ExchangeClientOptions {
  tenantId: string;
  exchangeBaseUrl: string;
  context: ServiceContext;
  /** `Prefer: odata.maxpagesize`; default 1000. */
  pageSize?: number;
  onWarnings?: (warning: ExchangeWarning) => void;
}

interface EnvelopeBody {
  value: unknown[];
  warnings: string[];
  nextLink?: string;
}

/** Client of the Exchange Online admin API (`InvokeCommand`, `$batch`), with typed cmdlet helpers. */
export class ExchangeClient implements ExchangePort {
  private readonly root: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: ExchangeClientOptions) {
    this.root = `${options.exchangeBaseUrl.replace(/\/+$/, '')}/adminapi/beta/${options.tenantId}`;
    this.headers = {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'X-AnchorMailbox': `APP:${SYSTEM_MAILBOX_ANCHOR}@${options.tenantId}`,
      Prefer: `odata.maxpagesize=${options.pageSize ?? 1000}`,
    };
  }

  /** Obtains an app-only token for Exchange Online (the credential works), as every request does first. */
  async acquireToken(): Promise<void> {
    await this.options.context.tokens.getToken();
  }

  /** Runs a cmdlet and yields each page, following `@odata.nextLink` with the same body and headers. */
  async *invoke(
    cmdlet: string,
    parameters: CmdletParameters = {},
    opts: { select?: readonly string[] } = {},
  ): AsyncIterable<ExchangePage> {
    const body = commandBody(cmdlet, parameters);
    let url: string | undefined = this.invokeUrl(opts.select);
    while (url) {
      const response = await sendWithRetries(this.options.context, {
        method: 'POST',
        url,
        headers: this.headers,
        body,
        operation: cmdlet,
      });
      const envelope = readEnvelope(response.json, cmdlet);
      this.reportWarnings(cmdlet, envelope.warnings);
      yield { rows: envelope.value, warnings: envelope.warnings };
      url = envelope.nextLink;
    }
  }

  /** Runs a cmdlet and collects every page. */
  async invokeAll(
    cmdlet: string,
    parameters: CmdletParameters = {},
    opts: { select?: readonly string[] } = {},
  ): Promise<ExchangePage> {
    const rows: unknown[] = [];
    const warnings: string[] = [];
    for await (const page of this.invoke(cmdlet, parameters, opts)) {
      rows.push(...page.rows);
      warnings.push(...page.warnings);
    }
    return { rows, warnings };
  }

  /**
   * Up to 10 cmdlets in one `$batch`; each item settles on its own (rows of every page, or a typed
   * error). Throttled or transient items are re-sent within the retry policy.
   */
  async batch(commands: readonly ExchangeCommand[]): Promise<Array<ItemOutcome<ExchangePage>>> {
    if (commands.length === 0) return [];
    if (commands.length > EXCHANGE_BATCH_LIMIT) {
      throw new RangeError(`Exchange $batch takes at most ${EXCHANGE_BATCH_LIMIT} commands, got ${commands.length}`);
    }
    const ctx = this.options.context;
    return retryBatchItems<ExchangePage>(commands.length, (pending) => this.batchRound(commands, pending), ctx.retry, {
      ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
      ...(ctx.random ? { random: ctx.random } : {}),
    });
  }

  /**
   * Get-MailboxPermission of one mailbox (FullAccess and friends), rows of deleted trustees (bare SIDs)
   * included; the `@adminapi.warnings` of every page are pushed into `warnings` when given.
   */
  async getMailboxPermission(identity: string, warnings?: string[]): Promise<MailboxPermissionRow[]> {
    const cmdlet = 'Get-MailboxPermission';
    // Without IncludeUnresolvedPermissions Exchange hides the rows of deleted trustees (docs/wire.md).
    const page = await this.invokeAll(cmdlet, { Identity: identity, IncludeUnresolvedPermissions: true });
    warnings?.push(...page.warnings);
    return parseRows(mailboxPermissionRowSchema, page.rows, { service: 'exchange', source: cmdlet });
  }

  /** Get-RecipientPermission of one mailbox (SendAs); page warnings pushed into `warnings` when given. */
  async getRecipientPermission(identity: string, warnings?: string[]): Promise<RecipientPermissionRow[]> {
    const cmdlet = 'Get-RecipientPermission';
    const page = await this.invokeAll(cmdlet, { Identity: identity });
    warnings?.push(...page.warnings);
    return parseRows(recipientPermissionRowSchema, page.rows, { service: 'exchange', source: cmdlet });
  }

  /** Every SendAs grant of the tenant, page by page (one call instead of one per mailbox). */
  async *getRecipientPermissionsTenantWide(): AsyncIterable<RecipientPermissionRow[]> {
    const cmdlet = 'Get-RecipientPermission';
    for await (const page of this.invoke(cmdlet, { ResultSize: 'Unlimited', AccessRights: 'SendAs' })) {
      yield parseRows(recipientPermissionRowSchema, page.rows, { service: 'exchange', source: cmdlet });
    }
  }

  /** One mailbox, or undefined when Exchange does not know it; page warnings pushed into `warnings` when given. */
  async getMailbox(identity: string, warnings?: string[]): Promise<MailboxRow | undefined> {
    const cmdlet = 'Get-Mailbox';
    try {
      const page = await this.invokeAll(cmdlet, { Identity: identity });
      warnings?.push(...page.warnings);
      return parseRows(mailboxRowSchema, page.rows, { service: 'exchange', source: cmdlet })[0];
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * The Exchange Online mailbox of each identity, in input order: undefined where Exchange has none (guests,
   * mail users, on-premises mailboxes answer not-found). Get-Mailbox in `$batch`es of 10; any other failure
   * of an item is thrown as its typed error.
   */
  async getMailboxes(identities: readonly string[]): Promise<Array<MailboxRow | undefined>> {
    const cmdlet = 'Get-Mailbox';
    const found: Array<MailboxRow | undefined> = [];
    for (let start = 0; start < identities.length; start += EXCHANGE_BATCH_LIMIT) {
      const chunk = identities.slice(start, start + EXCHANGE_BATCH_LIMIT);
      const outcomes = await this.batch(chunk.map((identity) => ({ cmdlet, parameters: { Identity: identity } })));
      for (const outcome of outcomes) {
        if (!outcome.ok) {
          if (isNotFound(outcome.error)) {
            found.push(undefined);
            continue;
          }
          throw outcome.error;
        }
        found.push(parseRows(mailboxRowSchema, outcome.value.rows, { service: 'exchange', source: cmdlet })[0]);
      }
    }
    return found;
  }

  /** One mailbox of the tenant, if any (Get-Mailbox -ResultSize 1): a bounded probe, whatever the tenant's size. */
  async anyMailbox(): Promise<Pick<MailboxRow, 'Identity' | 'UserPrincipalName' | 'PrimarySmtpAddress'> | undefined> {
    const cmdlet = 'Get-Mailbox';
    const select = ['Identity', 'UserPrincipalName', 'PrimarySmtpAddress'] as const;
    const schema = mailboxRowSchema.pick({ Identity: true, UserPrincipalName: true, PrimarySmtpAddress: true });
    const page = await this.invokeAll(cmdlet, { ResultSize: 1 }, { select });
    return parseRows(schema, page.rows, { service: 'exchange', source: cmdlet })[0];
  }

  /** Every mailbox of the tenant, page by page, with only the `select`ed fields. */
  async *listMailboxes<K extends MailboxField>(select: readonly K[]): AsyncIterable<Array<Pick<MailboxRow, K>>> {
    const cmdlet = 'Get-Mailbox';
    const mask: Partial<Record<MailboxField, true>> = {};
    for (const field of select) mask[field] = true;
    const schema = mailboxRowSchema.pick(mask);
    for await (const page of this.invoke(cmdlet, { ResultSize: 'Unlimited' }, { select })) {
      yield parseRows(schema, page.rows, { service: 'exchange', source: cmdlet }) as Array<Pick<MailboxRow, K>>;
    }
  }

  /** Recipients matching an identity; a Name shared by several recipients yields several rows, an unknown one none. */
  async getRecipient(identity: string): Promise<RecipientRow[]> {
    const cmdlet = 'Get-Recipient';
    try {
      const page = await this.invokeAll(cmdlet, { Identity: identity });
      return parseRows(recipientRowSchema, page.rows, { service: 'exchange', source: cmdlet });
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }

  private invokeUrl(select?: readonly string[]): string {
    const query = select && select.length > 0 ? `?$select=${encodeURIComponent(select.join(','))}` : '';
    return `${this.root}/InvokeCommand${query}`;
  }

  private reportWarnings(cmdlet: string, warnings: string[]): void {
    if (warnings.length > 0) this.options.onWarnings?.({ cmdlet, warnings });
  }

  private async batchRound(
    commands: readonly ExchangeCommand[],
    pending: readonly number[],
  ): Promise<ReadonlyMap<number, ItemOutcome<ExchangePage>>> {
    const ctx = this.options.context;
    const requests = pending.map((index) => {
      const command = commands[index] as ExchangeCommand;
      return {
        id: String(index),
        method: 'POST',
        url: this.invokeUrl(command.select),
        headers: this.headers,
        body: { CmdletInput: { CmdletName: command.cmdlet, Parameters: command.parameters ?? {} } },
      };
    });
    const response = await sendWithRetries(ctx, {
      method: 'POST',
      url: `${this.root}/$batch`,
      headers: this.headers,
      body: JSON.stringify({ requests }),
      operation: '$batch',
    });
    const answers = readBatchResponses(response.json, 'Exchange $batch');
    const results = new Map<number, ItemOutcome<ExchangePage>>();
    let throttleHint: number | undefined;
    let throttled = false;
    for (const index of pending) {
      const command = commands[index] as ExchangeCommand;
      const answer = answers.get(String(index));
      if (!answer) {
        results.set(index, {
          ok: false,
          error: malformedResponse('exchange', `${command.cmdlet} (batch item without a response)`),
        });
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) {
        results.set(index, await this.settleBatchItem(command, answer.body));
        continue;
      }
      const retryAfterMs = parseRetryAfter(answer.headers['retry-after']);
      if (answer.status === 429) {
        throttled = true;
        throttleHint = Math.max(throttleHint ?? 0, retryAfterMs ?? 0) || undefined;
      }
      const error = classifyHttpFailure({
        service: 'exchange',
        status: answer.status,
        bodyText: typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? null),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        operation: command.cmdlet,
      });
      results.set(index, { ok: false, error });
    }
    if (throttled) ctx.limiter.reportThrottle(throttleHint);
    return results;
  }

  private async settleBatchItem(command: ExchangeCommand, body: unknown): Promise<ItemOutcome<ExchangePage>> {
    try {
      const envelope = readEnvelope(body, command.cmdlet);
      this.reportWarnings(command.cmdlet, envelope.warnings);
      const rows = [...envelope.value];
      const warnings = [...envelope.warnings];
      let url = envelope.nextLink;
      while (url) {
        const response = await sendWithRetries(this.options.context, {
          method: 'POST',
          url,
          headers: this.headers,
          body: commandBody(command.cmdlet, command.parameters ?? {}),
          operation: command.cmdlet,
        });
        const next = readEnvelope(response.json, command.cmdlet);
        this.reportWarnings(command.cmdlet, next.warnings);
        rows.push(...next.value);
        warnings.push(...next.warnings);
        url = next.nextLink;
      }
      return { ok: true, value: { rows, warnings } };
    } catch (error) {
      return { ok: false, error: asAppError(error) };
    }
  }
}

function commandBody(cmdlet: string, parameters: CmdletParameters): string {
  // `Parameters` must be an object even when empty: Exchange rejects null.
  return JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } });
}

function isNotFound(error: unknown): boolean {
  return error instanceof PermanentUpstreamError && error.code === 'EXCHANGE.NOT_FOUND';
}

function asAppError(error: unknown): AppError {
  // Only typed upstream failures settle an item; a programming error must still surface.
  if (error instanceof AppError) return error;
  throw error;
}

/**
 * One InvokeCommand answer. A 200 that carries `@adminapi.warnings` and no `value` is an empty result with
 * warnings (docs/wire.md); a body that is not an object, or a `value` that is not an array, is malformed.
 */
function readEnvelope(json: unknown, cmdlet: string): EnvelopeBody {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw malformedResponse('exchange', `${cmdlet} (the response is not a JSON object)`);
  }
  const body = json as { value?: unknown; '@adminapi.warnings'?: unknown; '@odata.nextLink'?: unknown };
  const rawWarnings = body['@adminapi.warnings'];
  const warnings = Array.isArray(rawWarnings) ? rawWarnings.filter((w): w is string => typeof w === 'string') : [];
  const warningsOnly = body.value === undefined && warnings.length > 0;
  if (!warningsOnly && !Array.isArray(body.value)) {
    throw malformedResponse('exchange', `${cmdlet} (no "value" array in the response)`);
  }
  const value = Array.isArray(body.value) ? body.value : [];
  const link = body['@odata.nextLink'];
  const nextLink = typeof link === 'string' && link !== '' ? link : undefined;
  return { value, warnings, ...(nextLink ? { nextLink } : {}) };
}
