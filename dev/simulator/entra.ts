import { X509Certificate, createHash, randomUUID } from 'node:crypto';
import { type ProtectedHeaderParameters, decodeProtectedHeader, jwtVerify } from 'jose';
import { EXCHANGE_RESOURCE, GRAPH_RESOURCE, MANAGEMENT_APP_ID, MANAGEMENT_RESOURCE } from './identity.js';
import { header, type SimContext, type SimReply, type SimRequest } from './http.js';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Global Reader: what the app holds when it has an Exchange role. */
const GLOBAL_READER_ROLE_ID = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';

function entraError(status: number, error: string, code: number, description: string): SimReply {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: {
      error,
      error_description:
        `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\n` +
        `Correlation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

function knownTenant(ctx: SimContext, tid: string, allowCommon: boolean): boolean {
  const t = tid.toLowerCase();
  return (
    t === ctx.tenant.tenantId ||
    t === ctx.tenant.domain ||
    t === ctx.tenant.initialDomain ||
    (allowCommon && (t === 'common' || t === 'organizations'))
  );
}

function openIdConfiguration(ctx: SimContext): Record<string, unknown> {
  const base = `${ctx.url}/${ctx.tenant.tenantId}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${ctx.url}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

/** Which resource a `<resource>/.default` scope names, if it is one we serve. */
function resourceOf(scope: string): 'graph' | 'exchange' | 'management' | undefined {
  for (const s of scope.split(/\s+/)) {
    const m = /^(.*?)\/+\.default$/.exec(s);
    if (m === null) continue;
    const resource = (m[1] as string).toLowerCase();
    if (resource === GRAPH_RESOURCE || resource === '00000003-0000-0000-c000-000000000000') return 'graph';
    if (
      resource === EXCHANGE_RESOURCE ||
      resource === 'https://outlook.office.com' ||
      resource === '00000002-0000-0ff1-ce00-000000000000'
    )
      return 'exchange';
    if (resource === MANAGEMENT_RESOURCE || resource === MANAGEMENT_APP_ID) return 'management';
  }
  return undefined;
}

/** Verifies a private_key_jwt client assertion against the certificates registered on the app. */
async function assertionValid(
  ctx: SimContext,
  assertion: string,
  clientId: string,
  tokenEndpoint: string,
): Promise<boolean> {
  let protectedHeader: ProtectedHeaderParameters;
  try {
    protectedHeader = decodeProtectedHeader(assertion);
  } catch {
    return false;
  }
  for (const pem of ctx.tenant.app.certificates ?? []) {
    const cert = new X509Certificate(pem);
    const x5t = Buffer.from(cert.fingerprint.replace(/:/g, ''), 'hex').toString('base64url');
    const x5tS256 = createHash('sha256').update(cert.raw).digest('base64url');
    const { x5t: headerX5t, 'x5t#S256': headerX5tS256 } = protectedHeader;
    if (headerX5t !== undefined && headerX5t !== x5t && headerX5tS256 !== x5tS256) continue;
    try {
      // Entra tolerates five minutes of clock skew on assertions; MSAL rounds nbf to whole seconds.
      const { payload } = await jwtVerify(assertion, cert.publicKey, {
        audience: [tokenEndpoint, `${ctx.url}/${ctx.tenant.tenantId}/v2.0`],
        algorithms: ['RS256', 'PS256'],
        clockTolerance: 300,
      });
      if (payload.iss === clientId && payload.sub === clientId) return true;
    } catch {
      // try the next certificate
    }
  }
  return false;
}

async function token(ctx: SimContext, req: SimRequest, tid: string): Promise<SimReply> {
  const form = new URLSearchParams(req.body.toString('utf8'));
  let clientId = form.get('client_id') ?? undefined;
  let clientSecret = form.get('client_secret') ?? undefined;
  const basic = /^Basic\s+(\S+)$/i.exec(header(req, 'authorization') ?? '');
  if (basic !== null) {
    const [id, secret] = Buffer.from(basic[1] as string, 'base64')
      .toString('utf8')
      .split(':');
    clientId = decodeURIComponent(id ?? '');
    clientSecret = decodeURIComponent(secret ?? '');
  }
  const fail = (reply: SimReply): SimReply => {
    ctx.stats.tokenFailures++;
    return reply;
  };
  if (form.get('grant_type') !== 'client_credentials') {
    return fail(
      entraError(
        400,
        'unsupported_grant_type',
        70003,
        'The app requested an unsupported grant type. The simulator issues client_credentials tokens only.',
      ),
    );
  }
  if (clientId === undefined || clientId === '')
    return fail(
      entraError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'."),
    );
  if (clientId !== ctx.tenant.app.clientId) {
    return fail(
      entraError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tid}'. ` +
          'This can happen if the application has not been installed by the administrator of the tenant ' +
          'or consented to by any user in the tenant. ' +
          'You may have sent your authentication request to the wrong tenant.',
      ),
    );
  }
  const assertion = form.get('client_assertion');
  const tokenEndpoint = `${ctx.url}/${tid}/oauth2/v2.0/token`;
  if (assertion !== null) {
    if (form.get('client_assertion_type') !== JWT_BEARER) {
      return fail(
        entraError(
          400,
          'invalid_request',
          90014,
          "The request body must contain the following parameter: 'client_assertion_type'.",
        ),
      );
    }
    if (!(await assertionValid(ctx, assertion, clientId, tokenEndpoint))) {
      return fail(
        entraError(
          401,
          'invalid_client',
          700027,
          'The certificate with identifier used to sign the client assertion is not registered on application, ' +
            'or the signature is invalid.',
        ),
      );
    }
  } else if (clientSecret === undefined || clientSecret === '') {
    return fail(
      entraError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      ),
    );
  } else if (clientSecret !== ctx.tenant.app.clientSecret) {
    return fail(
      entraError(
        401,
        'invalid_client',
        7000215,
        'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, ' +
          `not the client secret ID, for a secret added to app '${clientId}'.`,
      ),
    );
  }
  const scope = form.get('scope') ?? '';
  const resource = resourceOf(scope);
  if (resource === undefined) {
    return fail(
      entraError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. ` +
          'Client credential flows must have a scope value with /.default suffixed to the resource identifier ' +
          '(application ID URI).',
      ),
    );
  }
  const perms = ctx.tenant.app.permissions;
  // Each API's token carries only its own app roles (Exchange.*, ActivityFeed.*, the rest are Graph's).
  const roles =
    resource === 'graph'
      ? perms.filter((p) => !p.startsWith('Exchange.') && !p.startsWith('ActivityFeed.'))
      : resource === 'exchange'
        ? perms.filter((p) => p.startsWith('Exchange.'))
        : perms.filter((p) => p.startsWith('ActivityFeed.'));
  const audience = { graph: GRAPH_RESOURCE, exchange: EXCHANGE_RESOURCE, management: MANAGEMENT_RESOURCE }[resource];
  const accessToken = await ctx.tokens.issueAppToken({
    resource: audience,
    roles,
    appId: clientId,
    servicePrincipalId: ctx.tenant.app.servicePrincipalId,
    lifetimeSeconds: ctx.tokenLifetimeSeconds,
    ...(resource === 'exchange' && ctx.tenant.app.hasExchangeRole ? { wids: [GLOBAL_READER_ROLE_ID] } : {}),
  });
  ctx.stats.tokensIssued[resource]++;
  return {
    status: 200,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store, no-cache',
      Pragma: 'no-cache',
    },
    body: {
      token_type: 'Bearer',
      expires_in: ctx.tokenLifetimeSeconds,
      ext_expires_in: ctx.tokenLifetimeSeconds,
      access_token: accessToken,
    },
  };
}

// The token endpoint, OpenID discovery and the signing keys under /{tid}/, in both spellings where Entra has two.
const ENTRA_PATHS = new Set([
  'oauth2/v2.0/token',
  'v2.0/.well-known/openid-configuration',
  '.well-known/openid-configuration',
  'discovery/v2.0/keys',
  'discovery/keys',
]);

/** Routes Entra ID paths (`/{tid}/...`); undefined when the path is not an Entra path. */
export async function handleEntra(ctx: SimContext, req: SimRequest): Promise<SimReply | undefined> {
  const m = /^\/([^/]+)\/(.+)$/.exec(req.url.pathname);
  if (m === null || !ENTRA_PATHS.has(m[2] as string)) return undefined;
  ctx.stats.requests.entra++;
  const tid = decodeURIComponent(m[1] as string);
  const what = m[2] as string;
  if (what === 'oauth2/v2.0/token') {
    if (req.method !== 'POST')
      return entraError(405, 'invalid_request', 900561, 'The endpoint only accepts POST requests.');
    if (!knownTenant(ctx, tid, false)) {
      ctx.stats.tokenFailures++;
      return entraError(
        400,
        'invalid_request',
        90002,
        `Tenant '${tid}' not found. ` +
          'Check to make sure you have the correct tenant ID and are signing into the correct cloud.',
      );
    }
    return token(ctx, req, tid);
  }
  if (!knownTenant(ctx, tid, true)) return entraError(400, 'invalid_tenant', 90002, `Tenant '${tid}' not found.`);
  if (what.startsWith('discovery'))
    return { status: 200, headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: ctx.tokens.jwks() };
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8' },
    body: openIdConfiguration(ctx),
  };
}
