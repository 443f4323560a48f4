import { AppError, PermanentUpstreamError } from '../errors.js';
import { QUEUES } from '../ports/queue.js';
import type { UseCaseDeps } from '../ports/services.js';
import { AUDIT_CONTENT_TYPE, type AuditFeedPort } from '../ports/auditFeed.js';

export interface Check {
  name: string;
  status: 'pass' | 'fail';
  detail: string;
  fix?: string;
}

export interface DiagnosticsReport {
  status: 'pass' | 'fail';
  checks: Check[];
}

async function check(name: string, probe: () => Promise<string>, fixFor: (error: unknown) => string): Promise<Check> {
  try {
    return { name, status: 'pass', detail: await probe() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { name, status: 'fail', detail: message, fix: fixFor(error) };
  }
}

const credentialFix =
  'Check AZURE_TENANT_ID and AZURE_CLIENT_ID; outside Azure set AZURE_CLIENT_SECRET or ' +
  'AZURE_CLIENT_CERTIFICATE_PATH for the app registration; in Azure make sure the user-assigned managed identity ' +
  'is attached to the Function App and AZURE_CLIENT_ID is its client id.';

// The least-privileged grants and the documented ways to give them (docs/wire.md, "Permissions the app needs").
const GRAPH_FIX =
  'Grant the app (managed identity / app registration) the Microsoft Graph application permissions ' +
  'GroupMember.Read.All, User.Read.All and Calendars.ReadBasic.All (the least privilege that lists calendar ' +
  'permissions), with admin consent (Entra admin center → Enterprise applications → the app → Permissions, or ' +
  'New-MgServicePrincipalAppRoleAssignment).';
const EXCHANGE_FIX =
  'Grant the app the Office 365 Exchange Online application permission Exchange.ManageAsApp with admin consent, ' +
  'and give it an Exchange role in one of the documented ways: a Microsoft Entra role on its service principal ' +
  '(Global Reader is enough to read), or in Exchange Online PowerShell New-ServicePrincipal -AppId <app id> ' +
  '-ObjectId <service principal object id>, then New-ManagementRoleAssignment -App <service principal> -Role ' +
  "'View-Only Recipients' (or Add-RoleGroupMember to a custom role group that holds that role).";

function upstreamFix(error: unknown, service: 'graph' | 'exchange'): string {
  if (error instanceof PermanentUpstreamError && error.code.endsWith('FORBIDDEN')) {
    return service === 'graph' ? GRAPH_FIX : EXCHANGE_FIX;
  }
  if (error instanceof AppError && error.code === 'CONFIG.NO_TENANT') return credentialFix;
  const setting = service === 'graph' ? 'GRAPH_BASE_URL' : 'EXCHANGE_BASE_URL';
  return `Check that ${setting} is reachable from the Function App (network, DNS, proxy).`;
}

/**
 * The permission preflight: tokens for Graph and Exchange, read a group, Get-MailboxPermission on one mailbox
 * (found with Get-Mailbox -ResultSize 1, so the probe costs the same in any tenant), tables and queue reachable,
 * the change feed (checkAuditFeed) — each with pass/fail and the exact fix. Reports no tenant data beyond counts.
 */
export async function runDiagnostics(
  deps: Pick<UseCaseDeps, 'microsoft' | 'auditFeed' | 'storage' | 'queue' | 'settings' | 'now'>,
): Promise<DiagnosticsReport> {
  const checks: Check[] = [];
  const microsoft = () => deps.microsoft();
  checks.push(
    await check(
      'graphToken',
      async () => {
        await microsoft().graph.acquireToken();
        return 'an app-only token for Microsoft Graph was issued';
      },
      () => credentialFix,
    ),
  );
  checks.push(
    await check(
      'exchangeToken',
      async () => {
        await microsoft().exchange.acquireToken();
        return 'an app-only token for Exchange Online was issued';
      },
      () => `${credentialFix} The app also needs the Office 365 Exchange Online API (Exchange.ManageAsApp).`,
    ),
  );
  checks.push(
    await check(
      'graphReadGroup',
      async () => {
        const groups = await microsoft().graph.searchGroups('a', 1);
        return `groups can be read (${groups.length ? 'found one' : 'none starting with "a"'})`;
      },
      (e) => upstreamFix(e, 'graph'),
    ),
  );
  checks.push(
    await check(
      'exchangeGetMailboxPermission',
      async () => {
        const m = microsoft();
        const mailbox = await m.exchange.anyMailbox();
        const identity = mailbox?.UserPrincipalName ?? mailbox?.PrimarySmtpAddress;
        if (!identity) return 'no mailbox in the tenant to test with';
        const rows = await m.exchange.getMailboxPermission(identity);
        return `Get-MailboxPermission returned ${rows.length} rows for one mailbox`;
      },
      (e) => upstreamFix(e, 'exchange'),
    ),
  );
  checks.push(
    await check(
      'tables',
      async () => {
        await deps.storage.ping();
        return 'Table Storage is reachable and the tables can be read';
      },
      () =>
        'Check TABLES_ENDPOINT (or TABLES_CONNECTION_STRING) and grant the identity ' +
        "'Storage Table Data Contributor' on the storage account.",
    ),
  );
  checks.push(
    await check(
      'queue',
      async () => {
        await deps.queue.ping(QUEUES.expand);
        return deps.settings.queueTransport === 'serviceBus'
          ? 'Service Bus accepts messages for mps-expand'
          : 'in-process queue (local host)';
      },
      () =>
        "Check ServiceBusConnection__fullyQualifiedNamespace, that queues 'mps-expand' and 'mps-mailbox' exist, " +
        "and grant the identity 'Azure Service Bus Data Sender' and 'Azure Service Bus Data Receiver'.",
    ),
  );
  checks.push(...(await checkAuditFeed(() => deps.auditFeed(), deps.now())));
  return { status: checks.every((c) => c.status === 'pass') ? 'pass' : 'fail', checks };
}

// The change feed's grants (docs/wire.md, "Office 365 Management Activity API"; docs/deploy.md).
const MANAGEMENT_TOKEN_FIX =
  'Grant the app the application permission ActivityFeed.Read of the API "Office 365 Management APIs" with admin ' +
  'consent (Entra admin center → App registrations → the app → API permissions), and check ' +
  'MANAGEMENT_API_BASE_URL (https://manage.office.com).';
const UNIFIED_AUDIT_FIX =
  'Turn on unified audit logging for the tenant (Microsoft Purview portal → Audit → Start recording user and admin ' +
  'activity, or in Exchange Online PowerShell Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true); ' +
  'the feed starts the Audit.Exchange subscription itself on its next poll, and the first content can take up to ' +
  '12 hours after it starts.';

/**
 * The change feed's preflight (docs/design.md §8.4): a Management API token, the Audit.Exchange subscription
 * enabled, and its content readable (the last hour listed) — each with pass/fail and the fix.
 */
export async function checkAuditFeed(feed: () => AuditFeedPort, now: Date): Promise<Check[]> {
  const checks: Check[] = [];
  checks.push(
    await check(
      'managementToken',
      async () => {
        await feed().acquireToken();
        return 'an app-only token for the Office 365 Management APIs was issued';
      },
      () => `${credentialFix} ${MANAGEMENT_TOKEN_FIX}`,
    ),
  );
  checks.push(
    await check(
      'auditSubscription',
      async () => {
        const subscriptions = await feed().listSubscriptions();
        const ours = subscriptions.find((s) => s.contentType === AUDIT_CONTENT_TYPE);
        if (ours?.status === 'enabled') return `the ${AUDIT_CONTENT_TYPE} subscription is enabled`;
        // The poll starts it within a minute anyway; starting it here proves the tenant lets us (audit log on).
        const started = await feed().startSubscription(AUDIT_CONTENT_TYPE);
        const was = ours ? ours.status || 'not enabled' : 'missing';
        return `the ${AUDIT_CONTENT_TYPE} subscription was ${was}; started it now (${started})`;
      },
      (e) =>
        e instanceof PermanentUpstreamError && /FORBIDDEN|UNAUTHORIZED/.test(e.code)
          ? MANAGEMENT_TOKEN_FIX
          : UNIFIED_AUDIT_FIX,
    ),
  );
  checks.push(
    await check(
      'auditContent',
      async () => {
        let blobs = 0;
        const end = now;
        const start = new Date(now.getTime() - 3_600_000);
        for await (const page of feed().listContent(AUDIT_CONTENT_TYPE, start, end)) blobs += page.length;
        return `the audit content of the last hour can be listed (${blobs} content blobs)`;
      },
      (e) =>
        e instanceof PermanentUpstreamError && /FORBIDDEN|UNAUTHORIZED/.test(e.code)
          ? MANAGEMENT_TOKEN_FIX
          : UNIFIED_AUDIT_FIX,
    ),
  );
  return checks;
}
