import type { TableCounters } from '../shared/adapters/tables/tableStore.js';
import type { SimulatorStats } from '../dev/simulator/index.js';
import { DELEGATION_TABLES, type HostSnapshot } from './protocol.js';

export type BenchRight = 'FullAccess' | 'SendAs' | 'SendOnBehalf' | 'CalendarDelegate';

/** What the floor depends on: the run's size and rights, the tenant's size, and the simulator's rate limits. */
export interface FloorInput {
  /** Mailboxes the run scans. */
  mailboxes: number;
  /** Objects Graph lists for the target group (transitive members, mailboxes or not). */
  targetMembers: number;
  /** Mailboxes in the tenant (rows of a tenant-wide Get-Mailbox). */
  tenantMailboxes: number;
  /** Rows of a tenant-wide Get-RecipientPermission -AccessRights SendAs (one SELF row per mailbox plus grants). */
  sendAsRows: number;
  rights: readonly BenchRight[];
  /** Requests per second; undefined = unlimited. */
  exchangeRps?: number;
  graphRps?: number;
  /** From this many mailboxes on, expansion reads SendAs and SendOnBehalf tenant-wide (expandTarget's default). */
  tenantWideThreshold?: number;
}

export interface Floor {
  exchangeCalls: number;
  graphCalls: number;
  exchangeSeconds: number;
  graphSeconds: number;
  /** The larger of the two: no client can finish sooner without being throttled. */
  seconds: number;
}

const pages = (rows: number, size: number) => Math.max(1, Math.ceil(rows / size));

/**
 * The fewest calls the rights need and the time the rate limits impose on them. Exchange: one
 * Get-MailboxPermission per mailbox (the cmdlet has no tenant-wide form), SendAs and SendOnBehalf from
 * one paged tenant-wide pass each (or one call per mailbox below the threshold). Graph: one
 * calendarPermissions call per mailbox and the target's member pages. Trustee resolution is left out,
 * so the floor is a lower bound.
 */
export function computeFloor(input: FloorInput): Floor {
  const want = (r: BenchRight) => input.rights.includes(r);
  const tenantWide = input.mailboxes >= (input.tenantWideThreshold ?? 100);
  let exchangeCalls = want('FullAccess') ? input.mailboxes : 0;
  if (tenantWide) {
    if (want('SendAs') || want('SendOnBehalf')) exchangeCalls += pages(input.tenantMailboxes, 1000);
    if (want('SendAs')) exchangeCalls += pages(input.sendAsRows, 1000);
  } else {
    if (want('SendAs')) exchangeCalls += input.mailboxes;
    if (want('SendOnBehalf')) exchangeCalls += input.mailboxes;
  }
  const graphCalls = (want('CalendarDelegate') ? input.mailboxes : 0) + pages(input.targetMembers, 999);
  const exchangeSeconds = input.exchangeRps ? exchangeCalls / input.exchangeRps : 0;
  const graphSeconds = input.graphRps ? graphCalls / input.graphRps : 0;
  return { exchangeCalls, graphCalls, exchangeSeconds, graphSeconds, seconds: Math.max(exchangeSeconds, graphSeconds) };
}

export interface PhaseInput {
  phase: string;
  wallMs: number;
  floor: Floor;
  run: Record<string, unknown>;
  sim: SimulatorStats;
  before: HostSnapshot;
  after: HostSnapshot;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);

function perUnit(record: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(record)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, round(v / n, 3)]),
  );
}

function delta(after: TableCounters, before: TableCounters | undefined): TableCounters {
  return {
    reads: after.reads - (before?.reads ?? 0),
    entities: after.entities - (before?.entities ?? 0),
    writes: after.writes - (before?.writes ?? 0),
    transactions: after.transactions - (before?.transactions ?? 0),
  };
}

/** One phase's figures as printed in the benchmark's JSON line. */
export function summarizePhase(input: PhaseInput) {
  const { sim, before, after, run } = input;
  const mailboxes = Math.max(1, Number(run.mailboxesTotal ?? 0));
  const wallSeconds = input.wallMs / 1000;
  const exchangeCalls = sum(sim.exchangeCmdlets);
  const graphCalls = sum(sim.graphEndpoints);
  const throttled = sim.throttled.exchange + sim.throttled.graph;
  const tables = delta(after.counters, before.counters);
  const perTable = Object.fromEntries(
    Object.entries(after.perTable)
      .map(([name, c]) => [name, delta(c, before.perTable[name])])
      .filter(([, c]) => (c as TableCounters).reads + (c as TableCounters).writes > 0),
  );
  const tableOps = Object.entries(after.tableTimes)
    .map(([k, t]) => {
      const was = before.tableTimes[k];
      return [k, { calls: t.calls - (was?.calls ?? 0), ms: t.ms - (was?.ms ?? 0) }] as const;
    })
    .filter(([, t]) => t.calls > 0);
  const delegationWrites = DELEGATION_TABLES.reduce(
    (n, t) =>
      n + delta(after.perTable[t] ?? { reads: 0, entities: 0, writes: 0, transactions: 0 }, before.perTable[t]).writes,
    0,
  );
  return {
    phase: input.phase,
    status: run.status,
    mailboxes: run.mailboxesTotal,
    mailboxesFailed: run.mailboxesFailed,
    delegationsAdded: run.delegationsAdded,
    delegationsRemoved: run.delegationsRemoved,
    trusteesUnresolved: run.trusteesUnresolved,
    wallSeconds: round(wallSeconds),
    floorSeconds: round(input.floor.seconds),
    wallOverFloor: input.floor.seconds > 0 ? round(wallSeconds / input.floor.seconds, 3) : null,
    floor: {
      ...input.floor,
      exchangeSeconds: round(input.floor.exchangeSeconds),
      graphSeconds: round(input.floor.graphSeconds),
      seconds: round(input.floor.seconds),
    },
    mailboxesPerSecond: round(mailboxes / wallSeconds, 1),
    callsPerMailbox: {
      exchange: round(exchangeCalls / mailboxes, 3),
      graph: round(graphCalls / mailboxes, 3),
      exchangeByCmdlet: perUnit(sim.exchangeCmdlets, mailboxes),
      graphByEndpoint: perUnit(sim.graphEndpoints, mailboxes),
    },
    calls: {
      exchange: exchangeCalls,
      graph: graphCalls,
      exchangeHttpRequests: sim.requests.exchange,
      graphHttpRequests: sim.requests.graph,
      tokens: sim.tokensIssued.graph + sim.tokensIssued.exchange,
    },
    throttled: {
      exchange: sim.throttled.exchange,
      graph: sim.throttled.graph,
      share: round(throttled / Math.max(1, exchangeCalls + graphCalls), 4),
    },
    tables: {
      perMailbox: {
        reads: round(tables.reads / mailboxes, 2),
        writes: round(tables.writes / mailboxes, 2),
        transactions: round(tables.transactions / mailboxes, 2),
      },
      total: tables,
      delegationTableWrites: delegationWrites,
      perTable,
      /** Mean latency (ms) per table operation during the phase. */
      latencyMs: Object.fromEntries(tableOps.map(([k, t]) => [k, round(t.ms / t.calls, 1)])),
      /** Table operations per mailbox, by table and method: where the requests go. */
      callsPerMailbox: Object.fromEntries(tableOps.map(([k, t]) => [k, round(t.calls / mailboxes, 3)])),
    },
    host: {
      peakRssMb: round(after.peakRssBytes / 2 ** 20, 1),
      cpuSeconds: round(
        (after.cpuMicros.user + after.cpuMicros.system - before.cpuMicros.user - before.cpuMicros.system) / 1e6,
        1,
      ),
      limiters: after.limiters,
    },
  };
}

export type PhaseResult = ReturnType<typeof summarizePhase>;

/** A one-line progress bar for stderr. */
export function progressLine(label: string, done: number, total: number, elapsedMs: number, extra: string): string {
  const width = 30;
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const seconds = (elapsedMs / 1000).toFixed(0).padStart(4);
  return `${label.padEnd(10)} [${bar}] ${String(done).padStart(7)}/${total} ${seconds}s ${extra}`;
}
