import type { Tenant } from '../dev/simulator/index.js';
import { DelegationTables } from '../shared/adapters/tables/delegationTables.js';
import type { DelegationRow, MailboxRef } from '../shared/ports/delegations.js';
import { DirectoryTable } from '../shared/adapters/tables/directoryTable.js';
import { TableClientFactory } from '../shared/adapters/tables/tableStore.js';
import { layoutNamed, type BenchLayout } from './protocol.js';
import { RIGHTS, type Right, type Via } from '../shared/domain/delegation/types.js';
import { expectedDelegations } from '../test/support/expected.js';

/**
 * Fills the delegate index with the tenant's true delegations (the independent model the end-to-end tests
 * compare against) through the product's own table adapters, without running the pipeline: a 100,000-mailbox
 * full sync takes longer than a session on Azurite, and the lookup latency only depends on what is stored.
 */
export async function seedIndex(
  tenant: Tenant,
  connectionString: string,
  prefix: string,
  layout: BenchLayout,
  log: (line: string) => void,
): Promise<{ mailboxes: number; delegations: number }> {
  // The host's layout on Azurite (bench/host.ts), so the host finds what is seeded here.
  const tables = new TableClientFactory({ kind: 'connectionString', connectionString, prefix }, layoutNamed(layout));
  const delegations = new DelegationTables(tables);
  const directory = new DirectoryTable(tables);
  const expected = expectedDelegations(tenant, tenant.demo.targetGroupId);
  const byMailbox = new Map<string, Array<{ delegateId: string; right: Right; vias: string[] }>>();
  for (const [key, vias] of expected) {
    const [mailboxId, delegateId, right] = key.split('|') as [string, string, string];
    const list = byMailbox.get(mailboxId) ?? [];
    list.push({ delegateId, right: RIGHTS.find((r) => r.toLowerCase() === right) ?? 'FullAccess', vias });
    byMailbox.set(mailboxId, list);
  }
  const users = new Map([...tenant.users.values()].map((u) => [u.id.toLowerCase(), u]));
  const groups = new Map([...tenant.groups.values()].map((g) => [g.id.toLowerCase(), g]));
  const at = new Date().toISOString();
  const mailboxUsers = tenant
    .mailboxIds()
    .map((id) => users.get(id.toLowerCase())!)
    .filter(Boolean);
  for (let i = 0; i < mailboxUsers.length; i += 1000) {
    await directory.upsert(
      mailboxUsers.slice(i, i + 1000).map((u) => ({
        id: u.id.toLowerCase(),
        upn: u.userPrincipalName,
        address: u.mail ?? u.userPrincipalName,
        displayName: u.displayName,
        accountEnabled: u.accountEnabled,
        hasMailbox: true,
      })),
    );
  }
  const work = [...byMailbox.entries()];
  let next = 0;
  let written = 0;
  const worker = async () => {
    while (next < work.length) {
      const [mailboxId, list] = work[next++]!;
      const owner = users.get(mailboxId)!;
      const mailbox: MailboxRef = {
        id: mailboxId,
        address: owner.mail ?? owner.userPrincipalName,
        displayName: owner.displayName,
      };
      const rows: DelegationRow[] = list.map(({ delegateId, right, vias }) => {
        const d = users.get(delegateId)!;
        const via: Via[] = vias.map((v) =>
          v === 'direct' ? { kind: 'direct' } : { kind: 'group', id: v, displayName: groups.get(v)?.displayName ?? v },
        );
        return {
          mailboxId,
          mailbox,
          delegate: {
            id: delegateId,
            upn: d.userPrincipalName,
            address: d.mail ?? d.userPrincipalName,
            displayName: d.displayName,
            accountEnabled: d.accountEnabled,
          },
          right,
          via,
          source: 'MailboxPermissionSync',
          firstSeen: at,
          lastConfirmed: at,
          grantedBy: null,
          grantedAt: null,
        };
      });
      await delegations.apply(
        { mailbox, upsert: rows, remove: [], events: [] },
        { taskId: null, runId: null, at, eventScope: 'seed' },
      );
      written += rows.length;
      if (next % 5000 === 0) log(`seed: ${next}/${work.length} mailboxes, ${written} delegations`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return { mailboxes: work.length, delegations: written };
}
