import { z } from 'zod';
import { PermanentUpstreamError } from '../errors.js';
import type { Logger } from '../logging.js';
import { deliveryIdOf, ruleMatches, toAlertEvent, type AlertRule } from '../domain/alerts.js';
import type { DelegationEvent } from '../domain/delegation/types.js';
import { OBSERVERS, RIGHTS } from '../domain/delegation/types.js';
import type { AlertRaiser, AlertRuleRepository } from '../ports/alerts.js';
import type { MicrosoftPorts } from '../ports/microsoft.js';
import { QUEUES, type OutgoingMessage, type QueueSender } from '../ports/queue.js';

const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.-]+$/, 'must contain only letters, digits, _ . -');
const ref = z.object({
  id: z.string().min(1).max(128),
  address: z.string().max(320),
  displayName: z.string().max(512),
});
const viaSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('direct') }),
  z.object({ kind: z.literal('group'), id: z.string().min(1).max(128), displayName: z.string().max(512) }),
]);

/** Body of an `mps-alert` message: one delivery of one event (or a test) to one rule, at its `attempt`. */
export const alertMessageSchema = z
  .object({
    ruleId: id,
    deliveryId: id,
    /** When the delivery was enqueued (its place in the deliveries list). */
    createdAt: z.iso.datetime({ offset: true }),
    event: z
      .object({
        type: z.literal('granted'),
        mailbox: ref,
        delegate: ref.extend({ upn: z.string().max(320) }),
        right: z.enum(RIGHTS),
        via: z.array(viaSchema).max(100),
        source: z.enum(['MailboxPermissionSync', 'Manual']),
        actor: z.string().max(320).nullable(),
        observedBy: z.enum(OBSERVERS),
        at: z.iso.datetime({ offset: true }),
        runId: z.string().max(256).nullable(),
      })
      .strict(),
    attempt: z.number().int().min(1).max(1000),
    /** Absent on the first attempt; the backoff window counts from it. */
    firstAttemptAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type AlertMessage = z.infer<typeof alertMessageSchema>;

export interface AlertRaiserOptions {
  /** Rules are re-read at most this often per process: a rule created elsewhere fires within this bound. */
  rulesTtlMs: number;
  /** A group rule's transitive members are re-listed at most this often per group and process. */
  groupTtlMs: number;
}

/** 30 s for rules, 5 min for a group's members (docs/operations.md, "Alerts": how stale a rule can be). */
export const DEFAULT_ALERT_CACHE: AlertRaiserOptions = { rulesTtlMs: 30_000, groupTtlMs: 300_000 };

export interface AlertRaiserDeps {
  rules: AlertRuleRepository;
  queue: QueueSender;
  now: () => Date;
  microsoft(): MicrosoftPorts;
  logger?: Logger;
}

interface Cached<T> {
  at: number;
  value: Promise<T>;
}

/**
 * Matches granted events against the alert rules and enqueues one `mps-alert` message per (rule, event), its id
 * derived from both so a redelivered sync re-sends the same ids (Service Bus drops the copies). Rules and group
 * memberships are cached per process (one per app instance) so a run does not read the rule table per mailbox.
 */
export class RuleAlertRaiser implements AlertRaiser {
  private rulesCache: Cached<AlertRule[]> | undefined;
  private readonly groups = new Map<string, Cached<Set<string>>>();

  constructor(
    private readonly deps: AlertRaiserDeps,
    private readonly options: AlertRaiserOptions = DEFAULT_ALERT_CACHE,
  ) {}

  /** Forgets the cached rules: this process created or deleted one. */
  invalidate(): void {
    this.rulesCache = undefined;
  }

  async raise(events: readonly DelegationEvent[]): Promise<number> {
    const granted = events.filter((e) => e.type === 'granted');
    if (granted.length === 0) return 0;
    const rules = (await this.rules()).filter((r) => granted.some((e) => r.rights.includes(e.right)));
    if (rules.length === 0) return 0;
    const groupIds = [...new Set(rules.flatMap((r) => (r.watch.kind === 'group' ? [r.watch.groupId] : [])))];
    const members = new Map(await Promise.all(groupIds.map(async (g) => [g, await this.members(g)] as const)));
    const createdAt = this.deps.now().toISOString();
    const messages: OutgoingMessage[] = [];
    for (const rule of rules) {
      for (const event of granted) {
        const inGroup = (groupId: string) => members.get(groupId)?.has(event.mailbox.id.toLowerCase()) ?? false;
        if (!ruleMatches(rule, event, inGroup)) continue;
        const deliveryId = deliveryIdOf(rule.id, event);
        const body: AlertMessage = {
          ruleId: rule.id,
          deliveryId,
          createdAt,
          event: { ...toAlertEvent(event), type: 'granted' },
          attempt: 1,
        };
        messages.push({ body, messageId: `alert_${deliveryId}` });
      }
    }
    if (messages.length > 0) await this.deps.queue.send(QUEUES.alert, messages);
    return messages.length;
  }

  private rules(): Promise<AlertRule[]> {
    const now = Date.now();
    if (!this.rulesCache || now - this.rulesCache.at > this.options.rulesTtlMs) {
      const value = this.deps.rules.all();
      const entry = { at: now, value };
      this.rulesCache = entry;
      // A failed read is not kept: the next event reads again (and this one's sync is redelivered).
      value.catch(() => {
        if (this.rulesCache === entry) this.rulesCache = undefined;
      });
    }
    return this.rulesCache.value;
  }

  /** The object ids (lower case) of a group's transitive members; a group that no longer exists has none. */
  private members(groupId: string): Promise<Set<string>> {
    const now = Date.now();
    const cached = this.groups.get(groupId);
    if (cached && now - cached.at <= this.options.groupTtlMs) return cached.value;
    const value = this.listMembers(groupId);
    const entry = { at: now, value };
    this.groups.set(groupId, entry);
    value.catch(() => {
      if (this.groups.get(groupId) === entry) this.groups.delete(groupId);
    });
    return value;
  }

  private async listMembers(groupId: string): Promise<Set<string>> {
    const ids = new Set<string>();
    try {
      for await (const page of this.deps.microsoft().graph.transitiveMembers(groupId)) {
        for (const member of page) if (member.kind === 'user') ids.add(member.id.toLowerCase());
      }
    } catch (error) {
      // A deleted group watches nothing; it must not fail every sync that grants something.
      if (error instanceof PermanentUpstreamError && error.code === 'GRAPH.NOT_FOUND') {
        this.deps.logger?.warn({ groupId }, 'alert rule group no longer exists: it matches no mailbox');
        return ids;
      }
      throw error;
    }
    return ids;
  }
}
