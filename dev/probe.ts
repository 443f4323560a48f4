import {
  createMicrosoftClients,
  splitAccessRights,
  type MicrosoftClients,
} from '../shared/adapters/microsoft/index.js';
import { toolTenant } from './toolTenant.js';

/**
 * `npm run tenant:probe`: exercises the real clients end to end — lists groups, expands one
 * transitively, prints one mailbox's permission rows. Against the built-in simulator (started
 * in-process, its CA passed explicitly) unless AZURE_TENANT_ID and friends name a real tenant.
 * Optional: PROBE_GROUP (group id) and PROBE_MAILBOX (UPN/SMTP) choose what to inspect.
 */
async function main(): Promise<void> {
  // A developer tool like dev/start.ts: it assembles the environment that loadConfig() validates.
  const { env, config, simulator } = await toolTenant(print);
  print(
    `tenant ${config.tenant.tenantId}: Graph ${config.tenant.graphBaseUrl}, ` +
      `Exchange ${config.tenant.exchangeBaseUrl}, credential ${config.tenant.credential.kind}`,
  );

  const clients = createMicrosoftClients(config.tenant, {
    ...(simulator ? { ca: simulator.caCertPem } : {}),
    onExchangeWarnings: (w) => print(`  warning from ${w.cmdlet}: ${w.warnings.join(' | ')}`),
  });
  try {
    const demoMailbox = simulator?.tenant.users.get(simulator.tenant.demo.alexId)?.userPrincipalName;
    await probe(clients, env.PROBE_GROUP ?? simulator?.tenant.demo.targetGroupId, env.PROBE_MAILBOX ?? demoMailbox);
    const { graph, exchange } = clients.limiters;
    print(`limiters: ${JSON.stringify(graph.stats())} ${JSON.stringify(exchange.stats())}`);
  } finally {
    clients.close();
    await simulator?.stop();
  }
}

async function probe(
  clients: MicrosoftClients,
  groupId: string | undefined,
  mailbox: string | undefined,
): Promise<void> {
  print('\ngroups (first page):');
  let firstGroupId: string | undefined;
  for await (const page of clients.graph.listGroups()) {
    for (const g of page.slice(0, 15)) {
      const sam = g.onPremisesSamAccountName ? `  sam=${g.onPremisesSamAccountName}` : '';
      print(`  ${g.id}  ${g.displayName ?? ''}  ${g.mail ?? ''}${sam}`);
    }
    print(`  … ${page.length} on this page`);
    firstGroupId = page[0]?.id;
    break;
  }

  const target = groupId ?? firstGroupId;
  if (!target) return;
  const group = await clients.graph.getGroup(target);
  print(`\ntransitive members of ${group?.displayName ?? target}:`);
  const counts = new Map<string, number>();
  let withMailbox: string | undefined;
  for await (const page of clients.graph.transitiveMembers(target)) {
    for (const member of page) {
      counts.set(member.kind, (counts.get(member.kind) ?? 0) + 1);
      if (member.kind === 'user' && member.mail && !withMailbox) withMailbox = member.mail;
    }
  }
  print(`  ${[...counts].map(([kind, n]) => `${kind}: ${n}`).join(', ') || '(none)'}`);

  const identity = mailbox ?? withMailbox;
  if (!identity) return;
  print(`\nGet-MailboxPermission ${identity}:`);
  for (const row of await clients.exchange.getMailboxPermission(identity)) {
    const flags = [row.IsInherited ? 'inherited' : '', row.Deny ? 'DENY' : ''].filter(Boolean).join(',');
    print(`  ${row.User.padEnd(45)} ${splitAccessRights(row.AccessRights).join('+')}${flags ? `  (${flags})` : ''}`);
  }
  print(`\nGet-RecipientPermission ${identity}:`);
  for (const row of await clients.exchange.getRecipientPermission(identity)) {
    print(`  ${row.Trustee.padEnd(45)} ${row.AccessControlType} ${splitAccessRights(row.AccessRights).join('+')}`);
  }
  const box = await clients.exchange.getMailbox(identity);
  print(`\nGrantSendOnBehalfTo: ${box?.GrantSendOnBehalfTo.join(', ') || '(none)'}`);
  if (box?.ExternalDirectoryObjectId) {
    const calendar = await clients.graph.calendarPermissions(box.ExternalDirectoryObjectId);
    print(`calendar: ${calendar.map((c) => `${c.emailAddress?.name ?? c.id}=${c.role}`).join(', ')}`);
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().catch((error: unknown) => {
  const reason =
    error instanceof Error
      ? `${error.name} ${'code' in error ? String(error.code) : ''}: ${error.message}`
      : String(error);
  process.stderr.write(`probe failed: ${reason}\n`);
  process.exitCode = 1;
});
