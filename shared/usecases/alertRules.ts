import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError } from '../errors.js';
import { alertRuleInputSchema, type AlertRule, type AlertWatch } from '../domain/alerts.js';
import { parseOrThrow } from '../domain/validation.js';
import type { MailboxRef } from '../domain/delegation/types.js';
import type { AlertDelivery, AlertPorts } from '../ports/alerts.js';
import type { MicrosoftPorts } from '../ports/microsoft.js';
import type { Page, PageRequest } from '../ports/repositories.js';
import type { Repositories } from '../ports/services.js';
import { findInTenant } from './lookups.js';
import { sendTestDelivery } from './deliverAlert.js';

export interface AlertRuleDeps {
  repos: Repositories;
  now: () => Date;
  microsoft(): MicrosoftPorts;
  alerts: AlertPorts;
}

/** A rule as the API shows it: never the secret, only that there is one. */
export interface AlertRuleView {
  id: string;
  description: string;
  watch: AlertWatch;
  rights: AlertRule['rights'];
  webhookUrl: string;
  hasSecret: true;
  createdAt: string;
}

function toView(rule: AlertRule): AlertRuleView {
  const { id, description, watch, rights, webhookUrl, createdAt } = rule;
  return { id, description, watch, rights, webhookUrl, hasSecret: true, createdAt };
}

async function resolveGroup(
  deps: AlertRuleDeps,
  group: { kind: 'group'; groupId: string } | { kind: 'groupEmail'; email: string },
): Promise<AlertWatch> {
  const { graph } = deps.microsoft();
  if (group.kind === 'group') {
    const found = await graph.getGroup(group.groupId);
    if (!found) throw new NotFoundError('GROUP.NOT_FOUND', `No group '${group.groupId}' exists in the directory`);
    return { kind: 'group', groupId: found.id.toLowerCase(), displayName: found.displayName ?? found.id };
  }
  const groups = await graph.findGroupsByMail(group.email);
  const [only] = groups;
  if (!only) throw new NotFoundError('GROUP.NOT_FOUND', `No group has the e-mail address ${group.email}`);
  if (groups.length > 1) {
    const names = groups.map((g) => `${g.displayName ?? ''} (${g.id})`).join(', ');
    throw new ValidationError('ALERT.GROUP_AMBIGUOUS', `${group.email} matches ${groups.length} groups: ${names}`, [
      { path: 'group.email', message: 'matches more than one group: name it by groupId' },
    ]);
  }
  return { kind: 'group', groupId: only.id.toLowerCase(), displayName: only.displayName ?? group.email };
}

/**
 * Validates and stores a rule: the webhook URL passes the outbound rules (with a DNS lookup), each mailbox resolves
 * to its object id (the directory table, else Graph, as manual delegations do), a group to its id. The secret is
 * stored with the rule and never returned.
 */
export async function createAlertRule(deps: AlertRuleDeps, body: unknown): Promise<AlertRuleView> {
  const input = parseOrThrow(alertRuleInputSchema, body, 'ALERT.INVALID', 'alert rule');
  await deps.alerts.webhook.check(input.webhookUrl);
  let watch: AlertWatch;
  if (input.mailboxes) {
    const mailboxes: MailboxRef[] = [];
    for (const name of input.mailboxes) {
      const m = await findInTenant(deps, name, 'mailbox');
      if (!mailboxes.some((x) => x.id === m.id))
        mailboxes.push({ id: m.id, address: m.address, displayName: m.displayName });
    }
    watch = { kind: 'mailboxes', mailboxes };
  } else if (input.group) {
    watch = await resolveGroup(deps, input.group);
  } else {
    throw new Error('alertRuleInputSchema admitted a rule without mailboxes or group');
  }
  const rule: AlertRule = {
    id: randomUUID(),
    description: input.description,
    watch,
    rights: input.rights,
    webhookUrl: input.webhookUrl,
    createdAt: deps.now().toISOString(),
  };
  await deps.alerts.rules.create(rule, input.secret);
  deps.alerts.raiser.invalidate();
  return toView(rule);
}

async function ruleOrThrow(deps: Pick<AlertRuleDeps, 'alerts'>, id: string): Promise<AlertRule> {
  const rule = await deps.alerts.rules.get(id);
  if (!rule) throw new NotFoundError('ALERT.NOT_FOUND', `Alert rule '${id}' does not exist`);
  return rule;
}

/** One rule, or ALERT.NOT_FOUND. */
export async function getAlertRule(deps: Pick<AlertRuleDeps, 'alerts'>, id: string): Promise<AlertRuleView> {
  return toView(await ruleOrThrow(deps, id));
}

/** A page of rules. */
export async function listAlertRules(
  deps: Pick<AlertRuleDeps, 'alerts'>,
  page: PageRequest,
): Promise<Page<AlertRuleView>> {
  const result = await deps.alerts.rules.list(page);
  return { items: result.items.map(toView), continuationToken: result.continuationToken };
}

/** Deletes a rule: it fires no more (other instances within their rule cache's bound); its deliveries stay. */
export async function deleteAlertRule(deps: Pick<AlertRuleDeps, 'alerts'>, id: string): Promise<void> {
  await ruleOrThrow(deps, id);
  await deps.alerts.rules.delete(id);
  deps.alerts.raiser.invalidate();
}

/** A page of a rule's deliveries, newest first. */
export async function listAlertDeliveries(
  deps: Pick<AlertRuleDeps, 'alerts'>,
  id: string,
  page: PageRequest,
): Promise<Page<AlertDelivery>> {
  await ruleOrThrow(deps, id);
  return deps.alerts.deliveries.list(id, page);
}

/** Sends a test delivery to a rule's webhook now and answers it with its one attempt. */
export async function testAlertRule(deps: Pick<AlertRuleDeps, 'alerts' | 'now'>, id: string): Promise<AlertDelivery> {
  const rule = await ruleOrThrow(deps, id);
  const secret = await deps.alerts.rules.secretOf(id);
  if (secret === undefined) throw new NotFoundError('ALERT.NOT_FOUND', `Alert rule '${id}' does not exist`);
  return sendTestDelivery(deps, id, { webhookUrl: rule.webhookUrl, secret });
}
