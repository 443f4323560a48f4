import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import { mailboxPermissionRowSchema, parseRows } from '../../shared/adapters/microsoft/index.js';
import type { ExchangeClient, GraphClient } from '../../shared/adapters/microsoft/index.js';
import type {
  CalendarPermission,
  MailboxPermissionRow,
  MailboxRow,
  RecipientPermissionRow,
} from '../../shared/ports/microsoft.js';

/**
 * The calls the product makes through its Graph and Exchange clients, by name, so that a recording can say
 * which client method produced its traffic and a replay can call the same method again with the same
 * (pseudonymized) arguments. Read-only methods only.
 */
export const OPERATIONS = [
  'graph.getGroup',
  'graph.findGroupsByMail',
  'graph.findGroupsBySamAccountName',
  'graph.findGroupsByDisplayName',
  'graph.searchGroups',
  'graph.transitiveMembers',
  'graph.getUser',
  'graph.findUserByMail',
  'graph.calendarPermissions',
  'graph.batch',
  'exchange.getMailboxPermission',
  'exchange.getRecipientPermission',
  'exchange.getRecipientPermissionsTenantWide',
  'exchange.getMailbox',
  'exchange.getMailboxes',
  'exchange.anyMailbox',
  'exchange.listMailboxes',
  'exchange.getRecipient',
  'exchange.batch',
] as const;
export type OperationName = (typeof OPERATIONS)[number];

/** The Get-Mailbox fields the tenant-wide pass of a run selects (shared/usecases/expandTarget.ts). */
export const RUN_MAILBOX_FIELDS = [
  'Identity',
  'Name',
  'UserPrincipalName',
  'PrimarySmtpAddress',
  'ExternalDirectoryObjectId',
  'GrantSendOnBehalfTo',
] as const;

export interface Invocation {
  operation: OperationName;
  args: unknown[];
  /** Paged operations: stop after this many pages (the recorder reads a page or two, never a whole tenant). */
  maxPages?: number;
}

export type ItemResult = { ok: true; count: number } | { ok: false; code: string; error: string };

/** What a call gave: rows (counted) or a typed error. Stored in the recording; compared on replay. */
export type Outcome =
  | { ok: true; count: number; pages?: number; items?: ItemResult[] }
  | { ok: false; code: string; error: string };

/** Exchange/Graph rows of one call, for the domain normalization a replay puts them through. */
export type RowsForDomain =
  | { kind: 'mailboxPermission'; identity: string; rows: MailboxPermissionRow[] }
  | { kind: 'recipientPermission'; identity: string; rows: RecipientPermissionRow[] }
  | { kind: 'mailbox'; rows: Array<Partial<MailboxRow>> }
  | { kind: 'calendar'; userId: string; rows: CalendarPermission[] };

export interface OperationResult {
  outcome: Outcome;
  /** The error itself (not stored: its message may hold real names before pseudonymization). */
  error?: AppError;
  rows: RowsForDomain[];
  /** Items of a batch that failed, with their errors. */
  itemErrors?: Array<AppError | undefined>;
  /** What the client method returned (the recorder picks its next arguments from it). */
  value?: unknown;
}

export interface Clients {
  graph: GraphClient;
  exchange: ExchangeClient;
}

const str = z.string();
const graphBatchArgs = z.tuple([
  z.array(
    z.object({
      url: z.string(),
      method: z.enum(['GET']).optional(),
      headers: z.record(z.string(), z.string()).optional(),
    }),
  ),
]);
const exchangeBatchArgs = z.tuple([
  z.array(
    z.object({
      cmdlet: z.string().regex(/^Get-[A-Za-z]+$/),
      parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])).optional(),
      select: z.array(z.string()).optional(),
    }),
  ),
]);

async function pages<T>(iterable: AsyncIterable<T[]>, maxPages: number): Promise<{ rows: T[]; pages: number }> {
  const rows: T[] = [];
  let count = 0;
  for await (const page of iterable) {
    rows.push(...page);
    count += 1;
    if (count >= maxPages) break;
  }
  return { rows, pages: count };
}

function ok(count: number, value: unknown, rows: RowsForDomain[] = [], extra: { pages?: number } = {}) {
  const result: OperationResult = { outcome: { ok: true, count, ...extra }, rows, value };
  return result;
}

function counted<T>(value: T[]): OperationResult {
  return ok(value.length, value);
}

function single<T>(value: T | undefined): OperationResult {
  return ok(value ? 1 : 0, value);
}

/** Calls one client method. A typed upstream failure becomes a failed outcome; any other error is thrown. */
export async function runOperation(clients: Clients, call: Invocation): Promise<OperationResult> {
  try {
    return await dispatch(clients, call);
  } catch (error) {
    if (error instanceof AppError) {
      return { outcome: { ok: false, code: error.code, error: error.name }, error, rows: [] };
    }
    throw error;
  }
}

async function dispatch({ graph, exchange }: Clients, call: Invocation): Promise<OperationResult> {
  const maxPages = call.maxPages ?? Number.POSITIVE_INFINITY;
  const one = (): string => z.tuple([str]).parse(call.args)[0];
  switch (call.operation) {
    case 'graph.getGroup':
      return single(await graph.getGroup(one()));
    case 'graph.findGroupsByMail':
      return counted(await graph.findGroupsByMail(one()));
    case 'graph.findGroupsBySamAccountName':
      return counted(await graph.findGroupsBySamAccountName(one()));
    case 'graph.findGroupsByDisplayName':
      return counted(await graph.findGroupsByDisplayName(one()));
    case 'graph.searchGroups': {
      const [prefix, top] = z.tuple([str, z.number().int().positive()]).parse(call.args);
      return counted(await graph.searchGroups(prefix, top));
    }
    case 'graph.transitiveMembers': {
      const read = await pages(graph.transitiveMembers(one()), maxPages);
      return ok(read.rows.length, read.rows, [], { pages: read.pages });
    }
    case 'graph.getUser':
      return single(await graph.getUser(one()));
    case 'graph.findUserByMail':
      return single(await graph.findUserByMail(one()));
    case 'graph.calendarPermissions': {
      const userId = one();
      const rows = await graph.calendarPermissions(userId);
      return ok(rows.length, rows, [{ kind: 'calendar', userId, rows }]);
    }
    case 'graph.batch': {
      const [requests] = graphBatchArgs.parse(call.args);
      const results = await graph.batch(requests);
      const items: ItemResult[] = results.map((r) => {
        if (!r.ok) return { ok: false, code: r.error.code, error: r.error.name };
        const value = (r.value.body as { value?: unknown } | null)?.value;
        return { ok: true, count: Array.isArray(value) ? value.length : 1 };
      });
      return {
        outcome: { ok: true, count: results.length, items },
        rows: [],
        itemErrors: results.map((r) => (r.ok ? undefined : r.error)),
      };
    }
    case 'exchange.getMailboxPermission': {
      const identity = one();
      const rows = await exchange.getMailboxPermission(identity);
      return ok(rows.length, rows, [{ kind: 'mailboxPermission', identity, rows }]);
    }
    case 'exchange.getRecipientPermission': {
      const identity = one();
      const rows = await exchange.getRecipientPermission(identity);
      return ok(rows.length, rows, [{ kind: 'recipientPermission', identity, rows }]);
    }
    case 'exchange.getRecipientPermissionsTenantWide': {
      z.tuple([]).parse(call.args);
      const read = await pages(exchange.getRecipientPermissionsTenantWide(), maxPages);
      const byIdentity = new Map<string, RecipientPermissionRow[]>();
      for (const row of read.rows) byIdentity.set(row.Identity, [...(byIdentity.get(row.Identity) ?? []), row]);
      const rows = [...byIdentity].map(
        ([identity, list]): RowsForDomain => ({ kind: 'recipientPermission', identity, rows: list }),
      );
      return ok(read.rows.length, read.rows, rows, { pages: read.pages });
    }
    case 'exchange.getMailbox': {
      const row = await exchange.getMailbox(one());
      return ok(row ? 1 : 0, row, row ? [{ kind: 'mailbox', rows: [row] }] : []);
    }
    case 'exchange.getMailboxes': {
      const [identities] = z.tuple([z.array(str)]).parse(call.args);
      const rows = (await exchange.getMailboxes(identities)).filter((r): r is MailboxRow => r !== undefined);
      return ok(rows.length, rows, [{ kind: 'mailbox', rows }]);
    }
    case 'exchange.anyMailbox':
      z.tuple([]).parse(call.args);
      return single(await exchange.anyMailbox());
    case 'exchange.listMailboxes': {
      const [fields] = z.tuple([z.array(z.enum(RUN_MAILBOX_FIELDS))]).parse(call.args);
      const read = await pages(exchange.listMailboxes(fields), maxPages);
      return ok(read.rows.length, read.rows, [{ kind: 'mailbox', rows: read.rows }], { pages: read.pages });
    }
    case 'exchange.getRecipient':
      return counted(await exchange.getRecipient(one()));
    case 'exchange.batch': {
      const [commands] = exchangeBatchArgs.parse(call.args);
      const results = await exchange.batch(commands);
      const rows: RowsForDomain[] = [];
      const items: ItemResult[] = results.map((r, i) => {
        if (!r.ok) return { ok: false, code: r.error.code, error: r.error.name };
        const command = commands[i];
        const identity = command?.parameters?.Identity;
        if (command?.cmdlet === 'Get-MailboxPermission' && typeof identity === 'string') {
          const source = { service: 'exchange' as const, source: command.cmdlet };
          const parsed = parseRows(mailboxPermissionRowSchema, r.value.rows, source);
          rows.push({ kind: 'mailboxPermission', identity, rows: parsed });
        }
        return { ok: true, count: r.value.rows.length };
      });
      return {
        outcome: { ok: true, count: results.length, items },
        rows,
        itemErrors: results.map((r) => (r.ok ? undefined : r.error)),
      };
    }
  }
}
