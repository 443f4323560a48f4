import type { AlertDelivery, AlertDeliveryRepository, AlertRule, AlertRuleRepository } from '../../ports/alerts.js';
import type { Page, PageRequest } from '../../ports/repositories.js';
import { assertKey } from './keys.js';
import {
  ALERT_RULE_PARTITION as PK,
  deliveryRowKey,
  fromAlertDeliveryEntity,
  fromAlertRuleEntity,
  secretOfEntity,
  toAlertDeliveryEntity,
  toAlertRuleEntity,
} from './entities/alert.js';
import { odata, type TableStore } from './tableStore.js';

/**
 * Alert rules in one partition (tens per tenant). The signing secret is a property of the rule's entity: only the
 * app's identity can read the table (docs/operations.md, "Alerts"), and only `secretOf` reads the property.
 */
export class AlertRuleTable implements AlertRuleRepository {
  constructor(private readonly store: TableStore) {}

  async create(rule: AlertRule, secret: string): Promise<void> {
    await this.store.insert(toAlertRuleEntity(rule, secret));
  }

  async get(id: string): Promise<AlertRule | undefined> {
    const e = await this.store.get(PK, assertKey(id, 'alert rule id'));
    return e ? fromAlertRuleEntity(e) : undefined;
  }

  async secretOf(id: string): Promise<string | undefined> {
    const e = await this.store.get(PK, assertKey(id, 'alert rule id'));
    return e ? secretOfEntity(e) : undefined;
  }

  async list(page: PageRequest): Promise<Page<AlertRule>> {
    const result = await this.store.page({ filter: odata`PartitionKey eq ${PK}`, partitionKey: PK, ...page });
    return { items: result.items.map(fromAlertRuleEntity), continuationToken: result.continuationToken };
  }

  async all(): Promise<AlertRule[]> {
    const rules: AlertRule[] = [];
    for await (const e of this.store.all(odata`PartitionKey eq ${PK}`, undefined, PK))
      rules.push(fromAlertRuleEntity(e));
    return rules;
  }

  async delete(id: string): Promise<void> {
    await this.store.delete(PK, assertKey(id, 'alert rule id'));
  }
}

/** Deliveries, one partition per rule, newest first (inverted enqueue time in the row key). */
export class AlertDeliveryTable implements AlertDeliveryRepository {
  constructor(private readonly store: TableStore) {}

  async get(ruleId: string, createdAt: string, deliveryId: string): Promise<AlertDelivery | undefined> {
    const e = await this.store.get(assertKey(ruleId, 'alert rule id'), deliveryRowKey(createdAt, deliveryId));
    return e ? fromAlertDeliveryEntity(e) : undefined;
  }

  async put(delivery: AlertDelivery): Promise<void> {
    await this.store.upsert(toAlertDeliveryEntity(delivery));
  }

  async list(ruleId: string, page: PageRequest): Promise<Page<AlertDelivery>> {
    const pk = assertKey(ruleId, 'alert rule id');
    const result = await this.store.page({ filter: odata`PartitionKey eq ${pk}`, partitionKey: pk, ...page });
    return { items: result.items.map(fromAlertDeliveryEntity), continuationToken: result.continuationToken };
  }
}
