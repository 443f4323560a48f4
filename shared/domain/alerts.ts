import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import { RIGHTS, type DelegationEvent, type MailboxRef, type Right } from './delegation/types.js';

// Alert rules (docs/design.md §8.5): what a rule watches, when it fires, what a delivery sends and how it is signed.
// Pure: the table, the queue, Graph and the outbound HTTP call live behind ports.

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Shorter secrets are refused: HMAC-SHA256 with a guessable key proves nothing to the receiver. */
export const MIN_SECRET_LENGTH = 16;

const mailboxName = z
  .string()
  .trim()
  .max(320, 'must be at most 320 characters')
  .refine((v) => GUID.test(v) || EMAIL.test(v), 'must be an e-mail address or an object id (GUID)');

/** The group a rule watches the mailboxes of, as the request names it. */
export const alertGroupSchema = z.discriminatedUnion(
  'kind',
  [
    z
      .object({ kind: z.literal('group'), groupId: z.string().regex(GUID, 'must be a group object id (GUID)') })
      .strict(),
    z
      .object({
        kind: z.literal('groupEmail'),
        email: z.string().trim().max(320, 'must be at most 320 characters').regex(EMAIL, 'must be an e-mail address'),
      })
      .strict(),
  ],
  { error: () => 'kind must be group or groupEmail' },
);

/** Body of `POST /api/alert-rules`: exactly one of `mailboxes` and `group`. */
export const alertRuleInputSchema = z
  .object({
    description: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
    mailboxes: z
      .array(mailboxName)
      .min(1, 'must list at least one mailbox')
      .max(100, 'must list at most 100 mailboxes (use a group for more)')
      .refine((l) => new Set(l.map((m) => m.toLowerCase())).size === l.length, 'must not list a mailbox twice')
      .optional(),
    group: alertGroupSchema.optional(),
    rights: z
      .array(z.enum(RIGHTS, { error: () => `must be one of ${RIGHTS.join(', ')}` }))
      .min(1, 'must name at least one right')
      .refine((l) => new Set(l).size === l.length, 'must not name a right twice'),
    webhookUrl: z.string().trim().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters'),
    secret: z
      .string()
      .min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`)
      .max(512, 'must be at most 512 characters'),
  })
  .strict()
  .refine((b) => (b.mailboxes === undefined) !== (b.group === undefined), {
    message: 'give either mailboxes or group (exactly one)',
    path: ['mailboxes'],
  });
export type AlertRuleInput = z.infer<typeof alertRuleInputSchema>;

/** What a stored rule watches: mailboxes resolved to object ids at creation, or a group resolved to its id. */
export type AlertWatch =
  | { kind: 'mailboxes'; mailboxes: MailboxRef[] }
  | { kind: 'group'; groupId: string; displayName: string };

/** A rule as stored, without its secret (the repository keeps that apart: it is never handed to a view). */
export interface AlertRule {
  id: string;
  description: string;
  watch: AlertWatch;
  rights: Right[];
  webhookUrl: string;
  createdAt: string;
}

/**
 * True when `rule` fires for `event`: a grant of a watched right on a watched mailbox. `groupMembers` answers for a
 * group rule whether the mailbox is (transitively) in its group.
 */
export function ruleMatches(rule: AlertRule, event: DelegationEvent, inGroup: (groupId: string) => boolean): boolean {
  if (event.type !== 'granted' || !rule.rights.includes(event.right)) return false;
  const mailboxId = event.mailbox.id.toLowerCase();
  if (rule.watch.kind === 'mailboxes') return rule.watch.mailboxes.some((m) => m.id.toLowerCase() === mailboxId);
  return inGroup(rule.watch.groupId);
}

/**
 * The identity of a granted event across redeliveries of the sync that planned it: a redelivery plans the same
 * events at a later `at`, so a run's event is named by task, run, mailbox, delegate, right and source; an event of
 * no run (a manual grant) by its time too.
 */
export function eventIdentity(event: DelegationEvent): string {
  const scope = event.runId === null ? `manual_${event.at}` : `${event.taskId ?? ''}_${event.runId}`;
  return [scope, event.mailbox.id, event.delegate.id, event.right, event.source, event.type].join('|').toLowerCase();
}

/** The delivery id of (rule, event): deterministic, so redelivered syncs enqueue the same message id (deduped). */
export function deliveryIdOf(ruleId: string, event: DelegationEvent): string {
  return createHash('sha256')
    .update(`${ruleId}|${eventIdentity(event)}`)
    .digest('hex')
    .slice(0, 32);
}

/** The event as a delivery carries it (docs/design.md §8.5). */
export interface AlertEvent {
  type: DelegationEvent['type'];
  mailbox: MailboxRef;
  delegate: { id: string; address: string; displayName: string; upn: string };
  right: Right;
  via: DelegationEvent['via'];
  source: DelegationEvent['source'];
  actor: string | null;
  /** How the grant was seen: a full scan, a re-read an audit record triggered (the feed), or an admin's API call. */
  observedBy: DelegationEvent['observedBy'];
  at: string;
  runId: string | null;
}

/** The delivered shape of a history event. */
export function toAlertEvent(event: DelegationEvent): AlertEvent {
  const { delegate } = event;
  return {
    type: event.type,
    mailbox: { id: event.mailbox.id, address: event.mailbox.address, displayName: event.mailbox.displayName },
    delegate: { id: delegate.id, address: delegate.address, displayName: delegate.displayName, upn: delegate.upn },
    right: event.right,
    via: event.via,
    source: event.source,
    actor: event.actor,
    observedBy: event.observedBy,
    at: event.at,
    runId: event.runId,
  };
}

/** One line a chat webhook (Slack-compatible, Teams workflow) can show as is. */
export function alertText(event: AlertEvent): string {
  const through = event.via
    .map((v) => (v.kind === 'direct' ? 'directly' : `through group ${v.displayName}`))
    .join(' and ');
  return (
    `${event.delegate.displayName} (${event.delegate.address}) was granted ${event.right} on ` +
    `${event.mailbox.displayName} (${event.mailbox.address}) ${through}`
  );
}

/** The JSON body POSTed for a delivery; a test delivery carries `test: true` and no event. */
export function alertBody(ruleId: string, deliveryId: string, event: AlertEvent | null): string {
  if (event === null) {
    return JSON.stringify({ ruleId, deliveryId, test: true, text: 'Mailbox Permission Sync: test delivery', event });
  }
  return JSON.stringify({ ruleId, deliveryId, text: alertText(event), event });
}

/** `sha256=<hex HMAC-SHA256 of the raw body with the rule's secret>`, the X-MPS-Signature header. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** When to try a failed delivery again, and for how long. */
export interface AlertBackoff {
  /** Delay before attempt `attempt + 1` after attempt `attempt` (1-based) failed. */
  delayMs(attempt: number): number;
  /** No attempt starts later than this after the first one; the delivery is then abandoned. */
  windowMs: number;
}

/**
 * The production backoff: 30 s doubling per attempt up to 1 h, ±20 % jitter (receivers coming back are not hit by
 * every delivery at once), for 24 h after the first attempt. A receiver down for an hour is retried within about
 * an hour of its return.
 */
export const DEFAULT_ALERT_BACKOFF: AlertBackoff = {
  delayMs: (attempt) => Math.min(3_600_000, 30_000 * 2 ** Math.min(attempt - 1, 20)) * (0.8 + Math.random() * 0.4),
  windowMs: 24 * 3_600_000,
};

/** When attempt `attempt + 1` runs, or null when it would start past the window (the delivery is abandoned). */
export function nextAttemptAt(backoff: AlertBackoff, firstAttemptAt: Date, now: Date, attempt: number): Date | null {
  const next = new Date(now.getTime() + backoff.delayMs(attempt));
  return next.getTime() - firstAttemptAt.getTime() > backoff.windowMs ? null : next;
}
