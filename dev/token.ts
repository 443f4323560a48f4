/**
 * Prints one access token for OUR API, signed with the tenant simulator's persisted API key, so any
 * process (curl, a portal, the benchmark) can call the local host:
 *
 *   node dist/dev/token.js --role Admin [--user alex.wilber@contoso.com] [--port 7443]
 *
 *   --role Admin|Reader|<full role name>   repeatable; Admin -> MailboxPermissionSync.Admin,
 *                                          Reader -> MailboxPermissionSync.Reader; omit for a plain user
 *   --user <upn | address | object id>     a user token for that simulator user (oid, preferred_username);
 *                                          without it the token is app-only (idtyp "app")
 *   --oid <guid>                           override the oid (no lookup)
 *   --port <n>                             the simulator's port (issuer = https://127.0.0.1:<port>/<tid>/v2.0)
 *   --expires <seconds>                    lifetime, default 3600
 *   --cert-dir <dir>                       where the simulator keeps its keys, default <repo>/.certs
 *
 * The user is looked up in the running simulator (GET /_sim/users/<key>); when none is running,
 * in the default generated tenant (seed 42, 200 mailboxes).
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultCertDir, ensureApiSigningKey } from './simulator/certs.js';
import { generateTenant } from './simulator/generate.js';
import { API_ROLES, SIM_TENANT_ID } from './simulator/identity.js';
import { signApiToken, type ApiTokenRequest } from './simulator/tokens.js';

const DEFAULT_PORT = 7443;

interface FoundUser {
  id: string;
  userPrincipalName: string;
}

/** Maps the short role names to the app roles of the API registration. */
function roleClaim(role: string): string {
  if (role.toLowerCase() === 'admin') return API_ROLES.Admin;
  if (role.toLowerCase() === 'reader') return API_ROLES.Reader;
  return role;
}

function lookupInRunningSimulator(port: number, certDir: string, key: string): Promise<FoundUser | null | undefined> {
  let ca: string;
  try {
    ca = readFileSync(path.join(certDir, 'simulator-ca.pem'), 'utf8');
  } catch {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const req = https.get(
      `https://127.0.0.1:${port}/_sim/users/${encodeURIComponent(key)}`,
      { ca, timeout: 3000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode === 404) return resolve(null);
          if (res.statusCode !== 200) return resolve(undefined);
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as FoundUser);
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

function lookupInDefaultTenant(key: string): FoundUser | undefined {
  const tenant = generateTenant();
  return tenant.userByIdOrUpn(key) ?? tenant.usersByMail(key)[0];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string', multiple: true },
      user: { type: 'string' },
      oid: { type: 'string' },
      port: { type: 'string' },
      expires: { type: 'string' },
      'cert-dir': { type: 'string' },
    },
  });
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`--port must be a port number, not '${values.port}'`);
  const certDir = values['cert-dir'] ?? defaultCertDir();
  const roles = (values.role ?? []).filter((r) => r.toLowerCase() !== 'none').map(roleClaim);
  const request: ApiTokenRequest = {
    roles,
    ...(values.expires !== undefined ? { expiresInSeconds: Number(values.expires) } : {}),
  };
  if (values.user !== undefined) {
    let user: FoundUser | null | undefined = await lookupInRunningSimulator(port, certDir, values.user);
    if (user === undefined) {
      process.stderr.write(
        `no simulator answered on port ${port}; looking '${values.user}' up in the default tenant\n`,
      );
      user = lookupInDefaultTenant(values.user);
    }
    if (user === null || user === undefined) {
      if (values.oid === undefined) throw new Error(`unknown user '${values.user}' (pass --oid to mint anyway)`);
      request.preferredUsername = values.user;
    } else {
      request.oid = user.id;
      request.preferredUsername = user.userPrincipalName;
    }
    if (values.oid !== undefined) request.oid = values.oid;
  } else {
    request.appOnly = true;
    if (values.oid !== undefined) request.oid = values.oid;
  }
  const token = await signApiToken(
    ensureApiSigningKey(certDir),
    { url: `https://127.0.0.1:${port}`, tenantId: SIM_TENANT_ID },
    request,
  );
  process.stdout.write(`${token}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`token: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
