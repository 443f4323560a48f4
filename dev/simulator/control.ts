import { z } from 'zod';
import {
  emptyStats,
  isJsonContent,
  parseJsonBody,
  type SimContext,
  type SimReply,
  type SimRequest,
  type SimulatorKnobs,
} from './http.js';
import { resetBuckets } from './limits.js';
import { CALENDAR_ROLES, hasMailbox, type SimUser } from './tenant.js';
import { SIM_API_AUDIENCE } from './identity.js';
import { auditMutation } from './audit.js';
import { auditFaultsSchema, auditKnobsSchema } from './management.js';

/** Partial knobs as accepted by setKnobs and POST /_sim/knobs. */
export const knobsSchema = z
  .object({
    latencyMs: z.number().min(0).max(60_000),
    jitterMs: z.number().min(0).max(60_000),
    rateLimits: z
      .object({ exchange: z.number().positive().optional(), graph: z.number().positive().optional() })
      .strict(),
    faultRate: z.number().min(0).max(1),
    warningsOnly: z
      .object({ cmdlets: z.array(z.string()).optional(), identities: z.array(z.string()).optional() })
      .strict(),
    recipientPermissionIdentity: z.enum(['address', 'distinguishedName']),
  })
  .partial()
  .strict();

/** Applies validated partial knobs; rate limits replace the previous ones as a whole. */
export function applyKnobs(ctx: SimContext, k: Partial<SimulatorKnobs>): void {
  const parsed = knobsSchema.parse(k);
  if (parsed.latencyMs !== undefined) ctx.knobs.latencyMs = parsed.latencyMs;
  if (parsed.jitterMs !== undefined) ctx.knobs.jitterMs = parsed.jitterMs;
  if (parsed.faultRate !== undefined) ctx.knobs.faultRate = parsed.faultRate;
  if (parsed.warningsOnly !== undefined) ctx.knobs.warningsOnly = { ...parsed.warningsOnly };
  if (parsed.recipientPermissionIdentity !== undefined) {
    ctx.knobs.recipientPermissionIdentity = parsed.recipientPermissionIdentity;
  }
  if (parsed.rateLimits !== undefined) {
    ctx.knobs.rateLimits = {
      ...(parsed.rateLimits.graph !== undefined ? { graph: parsed.rateLimits.graph } : {}),
      ...(parsed.rateLimits.exchange !== undefined ? { exchange: parsed.rateLimits.exchange } : {}),
    };
    resetBuckets(ctx);
  }
}

const id = z.string().min(1);
// Who made a permission change, as its audit record will say (default: the seeded admin, docs/wire.md).
const actor = { actor: z.string().min(1).optional(), actorType: z.number().int().min(0).max(10).optional() };
const mutationSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('grantFullAccess'), mailboxId: id, trusteeId: id, deny: z.boolean().optional(), ...actor }),
  z.object({ op: z.literal('revokeFullAccess'), mailboxId: id, trusteeId: id, ...actor }),
  z.object({ op: z.literal('grantSendAs'), mailboxId: id, trusteeId: id, deny: z.boolean().optional(), ...actor }),
  z.object({ op: z.literal('revokeSendAs'), mailboxId: id, trusteeId: id, ...actor }),
  z.object({ op: z.literal('grantSendOnBehalf'), mailboxId: id, trusteeId: id, ...actor }),
  z.object({ op: z.literal('revokeSendOnBehalf'), mailboxId: id, trusteeId: id, ...actor }),
  z.object({
    op: z.literal('setCalendarRole'),
    mailboxId: id,
    userId: id,
    role: z.enum(CALENDAR_ROLES).nullable(),
    via: z.enum(['admin', 'owner']).optional(),
    ...actor,
  }),
  z.object({ op: z.literal('addMember'), groupId: id, memberId: id }),
  z.object({ op: z.literal('removeMember'), groupId: id, memberId: id }),
  z.object({
    op: z.literal('addUser'),
    user: z
      .object({
        displayName: z.string(),
        userPrincipalName: z.string(),
        alias: z.string(),
        name: z.string(),
        mail: z.string().nullable(),
        accountEnabled: z.boolean(),
        recipientTypeDetails: z.enum(['UserMailbox', 'SharedMailbox']).nullable(),
      })
      .partial(),
    groupIds: z.array(id).optional(),
  }),
  z.object({ op: z.literal('deleteUser'), userId: id }),
  z.object({ op: z.literal('setAppPermissions'), permissions: z.array(z.string()), hasExchangeRole: z.boolean() }),
  // Calendar scoping of the app: 403 ErrorAccessDenied or 404 MailboxNotEnabledForRESTAPI; null = readable.
  z.object({
    op: z.literal('setCalendarAccess'),
    mailboxId: id,
    refusal: z.enum(['accessDenied', 'restNotEnabled']).nullable(),
  }),
]);
export type Mutation = z.infer<typeof mutationSchema>;

/**
 * Applies one mutation to the tenant and logs the audit record a permission change leaves (docs/wire.md); returns
 * the created user for addUser.
 */
export function applyMutation(ctx: SimContext, m: Mutation): SimUser | undefined {
  const calendarBefore =
    m.op === 'setCalendarRole'
      ? ctx.tenant.permissions.get(m.mailboxId)?.calendar.find((e) => e.userId === m.userId)?.role
      : undefined;
  const user = applyToTenant(ctx, m);
  if ('mailboxId' in m && m.op !== 'setCalendarAccess') {
    const audit = {
      actor: 'actor' in m ? m.actor : undefined,
      actorType: 'actorType' in m ? m.actorType : undefined,
      via: m.op === 'setCalendarRole' ? m.via : undefined,
    };
    auditMutation(ctx, m, audit, calendarBefore);
  }
  return user;
}

function applyToTenant(ctx: SimContext, m: Mutation): SimUser | undefined {
  const t = ctx.tenant;
  switch (m.op) {
    case 'grantFullAccess':
      t.grantFullAccess(m.mailboxId, m.trusteeId, { deny: m.deny === true });
      return undefined;
    case 'revokeFullAccess':
      t.revokeFullAccess(m.mailboxId, m.trusteeId);
      return undefined;
    case 'grantSendAs':
      t.grantSendAs(m.mailboxId, m.trusteeId, { deny: m.deny === true });
      return undefined;
    case 'revokeSendAs':
      t.revokeSendAs(m.mailboxId, m.trusteeId);
      return undefined;
    case 'grantSendOnBehalf':
      t.grantSendOnBehalf(m.mailboxId, m.trusteeId);
      return undefined;
    case 'revokeSendOnBehalf':
      t.revokeSendOnBehalf(m.mailboxId, m.trusteeId);
      return undefined;
    case 'setCalendarRole':
      t.setCalendarRole(m.mailboxId, m.userId, m.role);
      return undefined;
    case 'addMember':
      t.addMember(m.groupId, m.memberId);
      return undefined;
    case 'removeMember':
      t.removeMember(m.groupId, m.memberId);
      return undefined;
    case 'addUser': {
      const partial = Object.fromEntries(Object.entries(m.user).filter(([, v]) => v !== undefined)) as Partial<SimUser>;
      const user = t.addUser(partial);
      for (const g of m.groupIds ?? []) t.addMember(g, user.id);
      return user;
    }
    case 'deleteUser':
      t.deleteUser(m.userId);
      return undefined;
    case 'setAppPermissions':
      t.setAppPermissions(m.permissions, m.hasExchangeRole);
      return undefined;
    case 'setCalendarAccess':
      t.setCalendarAccess(m.mailboxId, m.refusal);
      return undefined;
  }
}

const apiTokenSchema = z
  .object({
    roles: z.array(z.string()),
    oid: z.string(),
    preferredUsername: z.string(),
    user: z.string(),
    audience: z.string(),
    tenantId: z.string(),
    expiresInSeconds: z.number(),
    notBeforeOffsetSeconds: z.number(),
    kid: z.string().nullable(),
    appOnly: z.boolean(),
  })
  .partial();

const json = (status: number, body: unknown): SimReply => ({
  status,
  headers: { 'Content-Type': 'application/json; charset=utf-8' },
  body,
});

function userSummary(u: SimUser): Record<string, unknown> {
  return {
    id: u.id,
    displayName: u.displayName,
    userPrincipalName: u.userPrincipalName,
    mail: u.mail,
    accountEnabled: u.accountEnabled,
    name: u.name,
    hasMailbox: hasMailbox(u),
    recipientTypeDetails: u.recipientTypeDetails ?? null,
  };
}

/** Finds a user by id, UPN or SMTP address (for the token CLI and tests in other processes). */
function findUser(ctx: SimContext, key: string): SimUser | undefined {
  return ctx.tenant.userByIdOrUpn(key) ?? ctx.tenant.usersByMail(key)[0];
}

/**
 * The simulator's own control API under /_sim (no auth: it binds to 127.0.0.1 only), for a
 * benchmark or end-to-end test running in another process. See README.md.
 */
export async function handleControl(
  ctx: SimContext,
  req: SimRequest,
  mintApiToken: (body: z.infer<typeof apiTokenSchema>) => Promise<string>,
): Promise<SimReply> {
  ctx.stats.requests.control++;
  const path = req.url.pathname.replace(/^\/_sim/, '');
  const body = (): unknown => (req.body.length === 0 ? {} : isJsonContent(req) ? parseJsonBody(req.body) : undefined);
  const invalid = (err: unknown): SimReply =>
    json(400, { error: err instanceof z.ZodError ? err.issues : String(err instanceof Error ? err.message : err) });
  try {
    if (req.method === 'GET' && path === '/info') {
      return json(200, {
        url: ctx.url,
        tenantId: ctx.tenant.tenantId,
        clientId: ctx.tenant.app.clientId,
        api: {
          audience: SIM_API_AUDIENCE,
          issuer: ctx.tokens.issuer,
          jwksUri: `${ctx.url}/${ctx.tenant.tenantId}/discovery/v2.0/keys`,
        },
        counts: {
          users: ctx.tenant.users.size,
          mailboxes: ctx.tenant.mailboxIds().length,
          groups: ctx.tenant.groups.size,
        },
        demo: ctx.tenant.demo,
        app: ctx.tenant.app.permissions,
      });
    }
    if (req.method === 'GET' && path === '/stats') return json(200, ctx.stats);
    if (req.method === 'POST' && path === '/stats/reset') {
      ctx.stats = emptyStats();
      return json(200, ctx.stats);
    }
    if (path === '/knobs' && req.method === 'GET') return json(200, ctx.knobs);
    if (path === '/knobs' && req.method === 'POST') {
      applyKnobs(ctx, knobsSchema.parse(body()) as Partial<SimulatorKnobs>);
      return json(200, ctx.knobs);
    }
    if (path === '/mutate' && req.method === 'POST') {
      const raw = body();
      const list = Array.isArray(raw) ? raw : [raw];
      const results = list.map((m) => {
        const user = applyMutation(ctx, mutationSchema.parse(m));
        return user === undefined ? { ok: true } : { ok: true, user: userSummary(user) };
      });
      return json(200, { results, version: ctx.tenant.version });
    }
    const userMatch = /^\/users\/(.+)$/.exec(path);
    if (userMatch !== null && req.method === 'GET') {
      const user = findUser(ctx, decodeURIComponent(userMatch[1] as string));
      return user === undefined ? json(404, { error: 'no such user' }) : json(200, userSummary(user));
    }
    if (path === '/audit' && req.method === 'GET') {
      return json(200, { knobs: ctx.audit.knobs, faults: ctx.audit.faults(), records: ctx.audit.allRecords() });
    }
    if (path === '/audit/knobs' && req.method === 'POST') {
      ctx.audit.setKnobs(auditKnobsSchema.parse(body()));
      return json(200, ctx.audit.knobs);
    }
    if (path === '/audit/faults' && req.method === 'POST') {
      ctx.audit.setFaults(auditFaultsSchema.parse(body()));
      return json(200, ctx.audit.faults());
    }
    if (path === '/token' && req.method === 'POST') {
      const parsed = apiTokenSchema.parse(body());
      return json(200, { token: await mintApiToken(parsed) });
    }
    return json(404, { error: `no control route ${req.method} ${req.url.pathname}` });
  } catch (err) {
    return invalid(err);
  }
}

export type ControlTokenRequest = z.infer<typeof apiTokenSchema>;
