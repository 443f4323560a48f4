import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureApiSigningKey } from '../../dev/simulator/certs.js';
import { API_ROLES, SIM_APP_PERMISSIONS, startSimulator, type RunningSimulator } from '../../dev/simulator/index.js';
import { signApiToken } from '../../dev/simulator/tokens.js';
import { ANCHOR, appToken, graphGet, invokeCommand, json, request, tokenOrThrow } from './helpers.js';

let sim: RunningSimulator;
let certDir: string;

beforeAll(async () => {
  certDir = mkdtempSync(path.join(os.tmpdir(), 'sim-certs-'));
  sim = await startSimulator({ mailboxes: 50, certDir });
});
afterAll(async () => {
  await sim.stop();
  rmSync(certDir, { recursive: true, force: true });
});

describe('Entra token endpoint', () => {
  it('issues RS256 tokens whose aud is the requested resource', async () => {
    const r = await appToken(sim, 'exchange');
    expect(r.status).toBe(200);
    expect(json(r)).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const payload = JSON.parse(
      Buffer.from((r.token ?? '').split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as Record<string, unknown>;
    expect(payload.aud).toBe('https://outlook.office365.com');
    expect(payload.roles).toEqual(['Exchange.ManageAsApp']);
  });

  it('answers a wrong secret with 401 invalid_client in the AADSTS shape', async () => {
    const r = await appToken(sim, 'graph', 'not-the-secret');
    expect(r.status).toBe(401);
    const body = json<{ error: string; error_codes: number[]; error_description: string }>(r);
    expect(body.error).toBe('invalid_client');
    expect(body.error_codes).toEqual([7000215]);
    expect(body.error_description).toMatch(/^AADSTS7000215:/);
  });

  it('refuses a scope for a resource it does not serve', async () => {
    const r = await request(sim, {
      method: 'POST',
      path: `/${sim.tenantId}/oauth2/v2.0/token`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sim.clientId,
        client_secret: sim.clientSecret,
        scope: 'https://vault.azure.net/.default',
      }).toString(),
    });
    expect(r.status).toBe(400);
    expect(json(r).error).toBe('invalid_scope');
  });
});

describe('token checks on every Graph/Exchange request', () => {
  it('refuses an Exchange token at Graph and a Graph token at Exchange (401)', async () => {
    const graph = await tokenOrThrow(sim, 'graph');
    const exo = await tokenOrThrow(sim, 'exchange');
    const atGraph = await graphGet(sim, exo, `/users/${sim.tenant.demo.alexId}`);
    expect(atGraph.status).toBe(401);
    expect((json(atGraph).error as { code: string }).code).toBe('InvalidAuthenticationToken');
    const atExchange = await invokeCommand(sim, graph, 'Get-Mailbox', { Identity: 'alex.wilber@contoso.com' });
    expect(atExchange.status).toBe(401);
    // The right token works, so the 401s above are about the audience.
    expect((await graphGet(sim, graph, `/users/${sim.tenant.demo.alexId}`)).status).toBe(200);
    expect((await invokeCommand(sim, exo, 'Get-Mailbox', { Identity: 'alex.wilber@contoso.com' })).status).toBe(200);
  });

  it('refuses a missing or tampered token', async () => {
    const graph = await tokenOrThrow(sim, 'graph');
    expect((await request(sim, { path: `/v1.0/users/${sim.tenant.demo.alexId}` })).status).toBe(401);
    const [h, p, s] = graph.split('.');
    const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const forgedPayload = Buffer.from(JSON.stringify({ ...payload, roles: ['Directory.ReadWrite.All'] }));
    const forged = `${h}.${forgedPayload.toString('base64url')}.${s}`;
    expect((await graphGet(sim, forged, `/users/${sim.tenant.demo.alexId}`)).status).toBe(401);
  });

  it('refuses an expired token', async () => {
    const shortLived = await startSimulator({ mailboxes: 16, certDir, tokenLifetimeSeconds: 1 });
    try {
      const token = await tokenOrThrow(shortLived, 'graph');
      expect((await graphGet(shortLived, token, `/users/${shortLived.tenant.demo.alexId}`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2100));
      expect((await graphGet(shortLived, token, `/users/${shortLived.tenant.demo.alexId}`)).status).toBe(401);
    } finally {
      await shortLived.stop();
    }
  });

  it('requires X-AnchorMailbox and a JSON content type on Exchange', async () => {
    const exo = await tokenOrThrow(sim, 'exchange');
    const body = JSON.stringify({
      CmdletInput: { CmdletName: 'Get-Mailbox', Parameters: { Identity: 'alex.wilber@contoso.com' } },
    });
    const path = `/adminapi/beta/${sim.tenantId}/InvokeCommand`;
    const noAnchor = await request(sim, {
      method: 'POST',
      path,
      headers: { Authorization: `Bearer ${exo}`, 'Content-Type': 'application/json' },
      body,
    });
    expect(noAnchor.status).toBe(400);
    const noType = await request(sim, {
      method: 'POST',
      path,
      headers: {
        Authorization: `Bearer ${exo}`,
        'X-AnchorMailbox': ANCHOR(sim.tenantId),
        'Content-Type': 'text/plain',
      },
      body,
    });
    expect(noType.status).toBe(415);
  });
});

describe('app permissions in the tenant model', () => {
  it('Graph answers 403 Authorization_RequestDenied once a permission is removed', async () => {
    const graph = await tokenOrThrow(sim, 'graph');
    try {
      sim.tenant.setAppPermissions(
        SIM_APP_PERMISSIONS.filter((p) => p !== 'User.Read.All'),
        true,
      );
      const r = await graphGet(sim, graph, `/users/${sim.tenant.demo.alexId}`);
      expect(r.status).toBe(403);
      expect((json(r).error as { code: string }).code).toBe('Authorization_RequestDenied');
      // Group reads still work: only the removed permission is missing.
      expect((await graphGet(sim, graph, `/groups/${sim.tenant.demo.salesGroupId}`)).status).toBe(200);
    } finally {
      sim.tenant.setAppPermissions([...SIM_APP_PERMISSIONS], true);
    }
  });

  it('Exchange answers 403 without an Exchange role, sometimes with a body that is not JSON', async () => {
    const exo = await tokenOrThrow(sim, 'exchange');
    try {
      sim.tenant.setAppPermissions([...SIM_APP_PERMISSIONS], false);
      const results = await Promise.all(
        [1, 2, 3, 4].map(() => invokeCommand(sim, exo, 'Get-Mailbox', { Identity: 'alex.wilber@contoso.com' })),
      );
      expect(results.map((r) => r.status)).toEqual([403, 403, 403, 403]);
      const isJson = results.map((r) => {
        try {
          JSON.parse(r.text);
          return true;
        } catch {
          return false;
        }
      });
      expect(isJson).toContain(true);
      expect(isJson).toContain(false);
    } finally {
      sim.tenant.setAppPermissions([...SIM_APP_PERMISSIONS], true);
    }
  });
});

describe('tokens for our API', () => {
  async function verify(token: string) {
    const jwks = json<JSONWebKeySet>(await request(sim, { path: new URL(sim.api.jwksUri).pathname }));
    return jwtVerify(token, createLocalJWKSet(jwks), { issuer: sim.api.issuer, audience: sim.api.audience });
  }

  it('mints tokens that verify against the published JWKS, with the claims asked for', async () => {
    const token = await sim.mintApiToken({ roles: [API_ROLES.Admin], preferredUsername: 'megan.bowen@contoso.com' });
    const { payload } = await verify(token);
    expect(payload).toMatchObject({
      roles: [API_ROLES.Admin],
      oid: sim.tenant.demo.meganId,
      preferred_username: 'megan.bowen@contoso.com',
      tid: sim.tenantId,
      ver: '2.0',
    });
  });

  it('accepts a token signed by another process from the persisted key (what dev/token.ts does)', async () => {
    const token = await signApiToken(
      ensureApiSigningKey(certDir),
      { url: sim.url, tenantId: sim.tenantId },
      { roles: [API_ROLES.Reader], appOnly: true },
    );
    const { payload } = await verify(token);
    expect(payload.idtyp).toBe('app');
    expect(payload.preferred_username).toBeUndefined();
  });

  it.each([
    ['expired', { expiresInSeconds: -120 }],
    ['not yet valid', { notBeforeOffsetSeconds: 600 }],
    ['unknown kid', { kid: 'no-such-key' }],
    ['wrong audience', { audience: 'api://someone-else' }],
  ] as const)('mints %s tokens that fail validation', async (_name, req) => {
    await expect(verify(await sim.mintApiToken(req))).rejects.toThrow();
  });
});

describe('the real clients (@azure/identity, Graph SDK) in a process that trusts the certificate', () => {
  it('get tokens with a secret and with the registered certificate, and page through Graph', async () => {
    const script = `
      import { ClientSecretCredential, ClientCertificateCredential } from '@azure/identity';
      import { Client, PageIterator } from '@microsoft/microsoft-graph-client';
      import {
        TokenCredentialAuthenticationProvider,
      } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
      const s = JSON.parse(process.argv[1]);
      const opts = { authorityHost: s.url, disableInstanceDiscovery: true };
      const cred = new ClientSecretCredential(s.tenantId, s.clientId, s.clientSecret, opts);
      const certCred = new ClientCertificateCredential(s.tenantId, s.clientId, { certificatePath: s.certPath }, opts);
      await certCred.getToken('https://outlook.office365.com/.default');
      const authProvider = new TokenCredentialAuthenticationProvider(cred, {
        scopes: ['https://graph.microsoft.com/.default'],
      });
      const client = Client.initWithMiddleware({ authProvider, baseUrl: s.url, customHosts: new Set(['127.0.0.1']) });
      const first = await client
        .api('/groups/' + s.groupId + '/transitiveMembers')
        .select('id,displayName')
        .top(7)
        .get();
      let n = 0;
      await new PageIterator(client, first, () => { n++; return true; }).iterate();
      console.log(JSON.stringify({ members: n }));
    `;
    const arg = JSON.stringify({
      url: sim.url,
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      certPath: sim.clientCertificatePath,
      groupId: sim.tenant.demo.targetGroupId,
    });
    // Asynchronously: the simulator answering the child lives in this process.
    const out = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, arg], {
      cwd: path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..'),
      env: { ...process.env, NODE_EXTRA_CA_CERTS: sim.caCertPath },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout.trim())).toEqual({
      members: sim.tenant.transitiveMembers(sim.tenant.demo.targetGroupId).length,
    });
  });
});
