import type { AlertBackoff, AlertEvent, AlertRule } from '../domain/alerts.js';
import type { DelegationEvent } from '../domain/delegation/types.js';
import type { Page, PageRequest } from './repositories.js';

export type { AlertBackoff, AlertEvent, AlertRule } from '../domain/alerts.js';

/** Alert rules; the secret is written with the rule and read only by `secretOf` (deliveries sign with it). */
export interface AlertRuleRepository {
  create(rule: AlertRule, secret: string): Promise<void>;
  get(id: string): Promise<AlertRule | undefined>;
  /** The rule's signing secret, or undefined when the rule no longer exists. */
  secretOf(id: string): Promise<string | undefined>;
  list(page: PageRequest): Promise<Page<AlertRule>>;
  /** Every rule (the in-process rule cache loads them all: a tenant has tens, not thousands). */
  all(): Promise<AlertRule[]>;
  delete(id: string): Promise<void>;
}

/** One try of a delivery: its HTTP status, or why no status came back (refused URL, timeout, network). */
export interface AlertAttempt {
  attempt: number;
  at: string;
  status: number | null;
  error: string | null;
}

export type AlertDeliveryState = 'pending' | 'delivered' | 'abandoned' | 'failed';

/** A delivery of one event (or a test) to one rule's webhook, with every attempt. */
export interface AlertDelivery {
  ruleId: string;
  deliveryId: string;
  /** When the delivery was enqueued: its place in the newest-first list. */
  createdAt: string;
  test: boolean;
  /** null for a test delivery. */
  event: AlertEvent | null;
  attempts: AlertAttempt[];
  nextAttemptAt: string | null;
  state: AlertDeliveryState;
  /** Why the delivery ended `abandoned` or `failed`. */
  reason: string | null;
}

/** Deliveries by rule, newest first. */
export interface AlertDeliveryRepository {
  get(ruleId: string, createdAt: string, deliveryId: string): Promise<AlertDelivery | undefined>;
  put(delivery: AlertDelivery): Promise<void>;
  list(ruleId: string, page: PageRequest): Promise<Page<AlertDelivery>>;
}

/** What a webhook answered: only its status (the body is drained and discarded, never kept). */
export interface WebhookResponse {
  status: number;
}

/** Outbound webhook calls with the SSRF rules (docs/operations.md, "Alerts"). */
export interface WebhookPort {
  /** Throws ValidationError `ALERT.UNSAFE_URL` naming why a URL may not be called (checked with a DNS lookup). */
  check(url: string): Promise<void>;
  /**
   * POSTs `body` to `url` after the same check, connecting to the address it checked; never follows a redirect.
   * Throws `WebhookError` when no HTTP status came back (refused, timeout, network).
   */
  post(url: string, body: string, headers: Record<string, string>): Promise<WebhookResponse>;
}

/** Fires the rules matching granted events: one `mps-alert` message per (rule, event), deduplicated by id. */
export interface AlertRaiser {
  /** Enqueues the deliveries of `events`; answers how many messages were sent. */
  raise(events: readonly DelegationEvent[]): Promise<number>;
}

/** Everything alerts use, built once per app instance by the composition root. */
export interface AlertPorts {
  rules: AlertRuleRepository;
  deliveries: AlertDeliveryRepository;
  webhook: WebhookPort;
  /** The sync and manual-grant hook; `invalidate` drops its rule cache when this process changes a rule. */
  raiser: AlertRaiser & { invalidate(): void };
  /** When failed deliveries are tried again (production: DEFAULT_ALERT_BACKOFF). */
  backoff: AlertBackoff;
}
