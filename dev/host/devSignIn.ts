import type http from 'node:http';
import { z } from 'zod';
import { getServices, type Services } from '../../shared/composition.js';
import { APP_ROLES } from '../../shared/host/auth.js';
import type { GraphUser } from '../../shared/ports/microsoft.js';
import { ensureApiSigningKey } from '../simulator/certs.js';
import { signApiToken } from '../simulator/tokens.js';

/**
 * Local development sign-in for the console: `GET /dev/sign-in/options` lists demo users of the tenant simulator and
 * `POST /dev/sign-in {user, role}` mints an API token for one of them with the simulator's API key. It exists only in
 * the local host and only while the simulator is in use: against a real tenant there is no key to sign with, and
 * minting tokens for anyone is exactly what a real deployment must never do.
 */

/** A handler for paths under /dev/: true when it answered the request, false to let the host answer 404. */
export type DevRouteHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<boolean>;

export interface DevSignInOptions {
  /**
   * True only when the app talks to the tenant simulator (dev/start.ts sets MPS_SIMULATOR=1); otherwise nothing is
   * served.
   */
  simulator: boolean;
  /** Where the simulator keeps its API signing key (default `<repo>/.certs`, as the simulator). */
  certDir?: string;
  /** The app's services (default: the process-wide ones). */
  services?: () => Services;
}

export const DEV_SIGN_IN_NOTICE = 'Local development sign-in (tenant simulator only)';

/** Well-known users of the generated demo tenant (dev/simulator/generate.ts); only those the tenant has are listed. */
const DEMO_USER_UPNS = [
  'alex.wilber@contoso.com',
  'megan.bowen@contoso.com',
  'grady.archie@contoso.com',
  'joni.sherman@contoso.com',
  'lidia.holloway@contoso.com',
  'diego.siciliani@contoso.com',
];

const DEV_ROLES = {
  Admin: [APP_ROLES.admin],
  Reader: [APP_ROLES.reader],
  User: [],
} as const satisfies Record<string, readonly string[]>;

const signInBody = z.strictObject({
  user: z
    .string()
    .trim()
    .min(1, 'must name a user (UPN, e-mail address or object id)')
    .max(320, 'must be at most 320 characters'),
  role: z.enum(['Admin', 'Reader', 'User'], { error: () => 'must be Admin, Reader or User' }),
});

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_BODY_BYTES = 4 * 1024;

const NO_STORE = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json; charset=utf-8',
): void {
  res.writeHead(status, { ...NO_STORE, 'Content-Type': contentType });
  res.end(JSON.stringify(body));
}

function sendProblem(
  res: http.ServerResponse,
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(res, status, { type: 'about:blank', title, status, detail, ...extra }, 'application/problem+json');
}

async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The simulator signs API tokens as `<origin>/<tenant>/v2.0`; anything else means we are not on the simulator. */
function simulatorIssuer(services: Services): { url: string; tenantId: string; audience: string } | undefined {
  const { issuer, audience } = services.config.api;
  const match = /^(https:\/\/[^/]+)\/([^/]+)\/v2\.0$/.exec(issuer ?? '');
  if (!match || !audience) return undefined;
  return { url: match[1]!, tenantId: match[2]!, audience };
}

async function findUser(services: Services, key: string): Promise<GraphUser | undefined> {
  const { graph } = services.microsoft();
  const direct = await graph.getUser(key);
  if (direct) return direct;
  return !GUID.test(key) && key.includes('@') ? graph.findUserByMail(key) : undefined;
}

/** The /dev/sign-in routes for the local host's `devRoutes` hook. */
export function devSignInRoutes(options: DevSignInOptions): DevRouteHandler {
  const services = options.services ?? getServices;

  async function listOptions(res: http.ServerResponse): Promise<void> {
    const found = await Promise.all(DEMO_USER_UPNS.map((upn) => services().microsoft().graph.getUser(upn)));
    const users = found
      .filter((u): u is GraphUser => u !== undefined)
      .map((u) => ({
        id: u.id,
        userPrincipalName: u.userPrincipalName,
        displayName: u.displayName ?? u.userPrincipalName,
        mail: u.mail ?? null,
      }));
    sendJson(res, 200, {
      notice: DEV_SIGN_IN_NOTICE,
      users,
      roles: [
        { value: 'Admin', label: 'Admin', claim: APP_ROLES.admin },
        { value: 'Reader', label: 'Reader', claim: APP_ROLES.reader },
        { value: 'User', label: 'Plain user (no app role)', claim: null },
      ],
    });
  }

  async function signIn(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // A JSON content type forces a CORS preflight, so another site open in the same browser cannot mint tokens here.
    if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
      return sendProblem(
        res,
        415,
        'Unsupported Media Type',
        'The request body must be JSON (Content-Type: application/json)',
      );
    }
    const text = await readBody(req);
    if (text === undefined)
      return sendProblem(res, 413, 'Payload Too Large', `The request body is larger than ${MAX_BODY_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return sendProblem(res, 400, 'Bad Request', 'The request body is not valid JSON');
    }
    const parsed = signInBody.safeParse(json);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.') || '(body)',
        message: i.message,
      }));
      return sendProblem(
        res,
        400,
        'Bad Request',
        `Invalid body: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
        { code: 'REQUEST.INVALID', errors },
      );
    }
    const svc = services();
    const issuer = simulatorIssuer(svc);
    if (!issuer) {
      return sendProblem(
        res,
        500,
        'Configuration Error',
        'Local sign-in needs the tenant simulator: API_ISSUER must be the simulator issuer and API_AUDIENCE set',
      );
    }
    const user = await findUser(svc, parsed.data.user);
    if (!user)
      return sendProblem(res, 404, 'Not Found', `No user '${parsed.data.user}' in the simulated tenant`, {
        code: 'USER.NOT_FOUND',
      });
    const expiresIn = 3600;
    const accessToken = await signApiToken(
      ensureApiSigningKey(options.certDir),
      { url: issuer.url, tenantId: issuer.tenantId },
      {
        roles: [...DEV_ROLES[parsed.data.role]],
        oid: user.id,
        preferredUsername: user.userPrincipalName,
        audience: issuer.audience,
        expiresInSeconds: expiresIn,
      },
    );
    sendJson(res, 200, {
      accessToken,
      expiresIn,
      user: {
        id: user.id,
        userPrincipalName: user.userPrincipalName,
        displayName: user.displayName ?? user.userPrincipalName,
      },
    });
  }

  return async (req, res, url) => {
    if (!options.simulator) return false;
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname === '/dev/sign-in/options') {
      if (method !== 'GET') sendProblem(res, 405, 'Method Not Allowed', `${method} is not allowed on ${url.pathname}`);
      else await listOptions(res);
      return true;
    }
    if (url.pathname === '/dev/sign-in') {
      if (method !== 'POST') sendProblem(res, 405, 'Method Not Allowed', `${method} is not allowed on ${url.pathname}`);
      else await signIn(req, res);
      return true;
    }
    return false;
  };
}
