import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogger, createTask, startHarness, startRun, waitFor, type Harness } from '../faults/harness.js';
import type { AlertDelivery } from '../../shared/ports/alerts.js';
import { Receiver, signatureValid } from '../support/receiver.js';

// Issue 23 end to end on the local host: rules fire on grants (direct, through a trustee group, manual), each
// delivery is signed, a receiver that was down gets what it missed, and the secret never leaves the store.

const SECRET = 'alert-secret-9d1f4c7be2a84f0d';
const GROUP_SECRET = 'group-rule-secret-51c0e7aa93b2';

let app: Harness;
let lines: string[];
const receiver = new Receiver();
const answers: string[] = [];
let taskId: string;

async function api(method: string, path: string, body?: unknown) {
  const answer = await app.api(method, path, body === undefined ? {} : { body });
  answers.push(answer.text);
  return answer;
}

async function deliveries(ruleId: string): Promise<AlertDelivery[]> {
  const answer = await api('GET', `alert-rules/${ruleId}/deliveries`);
  expect(answer.status).toBe(200);
  return (answer.json as { items: AlertDelivery[] }).items;
}

async function syncOnce(): Promise<string> {
  const runId = await startRun(app, taskId);
  await app.settle();
  await app.queue.idle();
  return runId;
}

async function grantedInRun(runId: string): Promise<Array<{ mailboxId: string; delegateId: string; right: string }>> {
  const out = [];
  for await (const e of app.services.tables.store('DelegationHistory').all()) {
    if (e.runId === runId && e.type === 'granted') {
      out.push({ mailboxId: String(e.mailboxId), delegateId: String(e.delegateId), right: String(e.right) });
    }
  }
  return out;
}

beforeAll(async () => {
  await receiver.start();
  const capture = captureLogger();
  lines = capture.lines;
  app = await startHarness({ logger: capture.logger, env: { ALERT_ALLOW_HTTP_LOOPBACK: 'true' } });
  // A fast policy for the test (production: DEFAULT_ALERT_BACKOFF, 30 s doubling for 24 h).
  app.services.alerts.backoff = { delayMs: () => 150, windowMs: 60_000 };
  taskId = await createTask(app);
  await syncOnce(); // the baseline: nothing is new after it
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await receiver.stop();
});

describe('alert rules end to end', () => {
  let ruleId: string;
  let groupRuleId: string;
  const t = () => app.sim.tenant;

  it('creates a rule on a mailbox, resolved to its object id, without ever answering the secret', async () => {
    const alex = t().users.get(t().demo.alexId)!;
    const created = await api('POST', 'alert-rules', {
      description: 'CEO mailbox',
      mailboxes: [alex.mail],
      rights: ['FullAccess', 'SendAs'],
      webhookUrl: receiver.url(),
      secret: SECRET,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      hasSecret: true,
      watch: { kind: 'mailboxes', mailboxes: [{ id: alex.id.toLowerCase(), address: alex.mail }] },
    });
    ruleId = (created.json as { id: string }).id;
    expect((await api('GET', `alert-rules/${ruleId}`)).json).toMatchObject({ id: ruleId, hasSecret: true });
    const list = await api('GET', 'alert-rules');
    expect((list.json as { items: Array<{ id: string }> }).items.map((r) => r.id)).toContain(ruleId);
  });

  it('refuses bad rules at the edge, naming the problem', async () => {
    const base = { description: 'x', mailboxes: [t().demo.alexId], rights: ['FullAccess'], secret: SECRET };
    const short = await api('POST', 'alert-rules', { ...base, webhookUrl: receiver.url(), secret: 'short' });
    expect(short.status).toBe(400);
    expect(short.text).toContain('secret');
    const badRight = await api('POST', 'alert-rules', { ...base, webhookUrl: receiver.url(), rights: ['ReadAll'] });
    expect(badRight.status).toBe(400);
    const unknown = await api('POST', 'alert-rules', {
      ...base,
      webhookUrl: receiver.url(),
      mailboxes: ['nobody.here@contoso.com'],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('nobody.here@contoso.com');
    const noGroup = await api('POST', 'alert-rules', {
      description: 'x',
      group: { kind: 'group', groupId: '00000000-0000-4000-8000-000000000000' },
      rights: ['FullAccess'],
      webhookUrl: receiver.url(),
      secret: SECRET,
    });
    expect(noGroup.status).toBe(404);
  });

  it.each([
    ['a decimal IPv4 host', 'https://2130706433/hook'],
    ['an octal IPv4 host', 'https://0177.0.0.1/hook'],
    ['a hex IPv4 host', 'https://0x7f.0.0.1/hook'],
    ['IPv4-mapped IPv6 (dotted)', 'https://[::ffff:127.0.0.1]/hook'],
    ['IPv4-mapped IPv6 (hex)', 'https://[::ffff:7f00:1]/hook'],
    ['the metadata address', 'https://169.254.169.254/latest/meta-data/'],
    ['a private address', 'https://10.0.0.5/'],
    ['an http:// public URL', 'http://93.184.215.14/hook'],
    ['https to loopback, even in local mode', 'https://127.0.0.1/hook'],
    ['user info', 'https://user:pw@93.184.215.14/hook'],
  ])('refuses %s as a webhook URL', async (_what, webhookUrl) => {
    const answer = await api('POST', 'alert-rules', {
      description: 'SSRF',
      mailboxes: [t().demo.alexId],
      rights: ['FullAccess'],
      webhookUrl,
      secret: SECRET,
    });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 'ALERT.UNSAFE_URL' });
  });

  it('fires exactly once for a new direct grant, signed; a re-run with no change fires nothing', async () => {
    const delegate = t().addUser({ displayName: 'Alert Delegate One' });
    t().grantFullAccess(t().demo.alexId, delegate.id);

    await syncOnce();

    const got = receiver.forRule(ruleId);
    expect(got).toHaveLength(1);
    const [first] = got;
    expect(first?.body.event).toMatchObject({
      mailbox: { id: t().demo.alexId.toLowerCase() },
      delegate: { id: delegate.id.toLowerCase() },
      right: 'FullAccess',
      source: 'MailboxPermissionSync',
      via: [{ kind: 'direct' }],
      actor: null,
    });
    expect(first?.headers['content-type']).toBe('application/json');
    expect(first?.headers['x-mps-delivery']).toBe(first?.body.deliveryId);
    expect(signatureValid(first!, SECRET)).toBe(true);
    expect(signatureValid(first!, `${SECRET}x`)).toBe(false);
    const [recorded] = await deliveries(ruleId);
    expect(recorded).toMatchObject({ deliveryId: first?.body.deliveryId, state: 'delivered', nextAttemptAt: null });
    expect(recorded?.attempts).toEqual([expect.objectContaining({ attempt: 1, status: 200, error: null })]);

    await syncOnce();
    expect(receiver.forRule(ruleId)).toHaveLength(1);
  }, 120_000);

  it('a group rule fires once per grant a new member of a trustee group gains (via names the group)', async () => {
    const created = await api('POST', 'alert-rules', {
      description: 'Everyone in the target group',
      group: { kind: 'group', groupId: t().demo.targetGroupId },
      rights: ['FullAccess'],
      webhookUrl: receiver.url('/group'),
      secret: GROUP_SECRET,
    });
    expect(created.status).toBe(201);
    groupRuleId = (created.json as { id: string }).id;
    const newcomer = t().addUser({ displayName: 'Trustee Group Newcomer' });
    t().addMember(t().demo.salesSharedAccessGroupId, newcomer.id);

    const runId = await syncOnce();

    const members = new Set(
      t()
        .transitiveMembers(t().demo.targetGroupId)
        .flatMap((o) => (o.type === 'user' ? [o.user.id.toLowerCase()] : [])),
    );
    const expected = (await grantedInRun(runId))
      .filter((e) => e.right === 'FullAccess' && members.has(e.mailboxId.toLowerCase()))
      .map((e) => `${e.mailboxId}|${e.delegateId}`.toLowerCase())
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    const got = receiver.forRule(groupRuleId);
    expect(got.map((r) => `${r.body.event?.mailbox.id}|${r.body.event?.delegate.id}`.toLowerCase()).sort()).toEqual(
      expected,
    );
    for (const r of got) {
      expect(r.body.event?.delegate.id.toLowerCase()).toBe(newcomer.id.toLowerCase());
      expect(r.body.event?.via).toContainEqual(
        expect.objectContaining({ kind: 'group', id: t().demo.salesSharedAccessGroupId.toLowerCase() }),
      );
      expect(signatureValid(r, GROUP_SECRET)).toBe(true);
    }
  }, 120_000);

  it('fires on a manual grant through the API', async () => {
    const before = receiver.forRule(ruleId).length;
    const delegate = t().addUser({ displayName: 'Manual Delegate' });

    const added = await api('POST', `users/${delegate.id}/delegate-mailboxes`, {
      mailbox: t().demo.alexId,
      rights: ['SendAs'],
    });
    expect(added.status).toBe(201);
    await app.queue.idle();

    const got = receiver.forRule(ruleId).slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]?.body.event).toMatchObject({ right: 'SendAs', source: 'Manual', runId: null });
    expect(signatureValid(got[0]!, SECRET)).toBe(true);
  });

  it('a receiver that is down gets the delivery it missed once it is back, with every attempt recorded', async () => {
    const before = receiver.forRule(ruleId).length;
    await receiver.stop();
    const delegate = t().addUser({ displayName: 'While Down' });
    t().grantSendAs(t().demo.alexId, delegate.id);

    await startRun(app, taskId);
    await waitFor(
      async () => (await deliveries(ruleId))[0]?.attempts.some((a) => a.error !== null) ?? false,
      60_000,
      'a failed attempt while the receiver is down',
    );
    const [pending] = await deliveries(ruleId);
    expect(pending).toMatchObject({ state: 'pending' });
    expect(pending?.nextAttemptAt).not.toBeNull();
    await receiver.start();
    await app.settle();
    await app.queue.idle();

    const got = receiver.forRule(ruleId).slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]?.body.event).toMatchObject({ delegate: { id: delegate.id.toLowerCase() }, right: 'SendAs' });
    const [done] = await deliveries(ruleId);
    expect(done).toMatchObject({ deliveryId: got[0]?.body.deliveryId, state: 'delivered', nextAttemptAt: null });
    expect(done?.attempts.length).toBeGreaterThan(1);
    expect(done?.attempts.at(-1)).toMatchObject({ status: 200, error: null });
    expect(done?.attempts[0]?.error).toMatch(/ECONNREFUSED/);
  }, 120_000);

  it('a test delivery is signed the same way, marked as a test, and listed with the deliveries', async () => {
    const answer = await api('POST', `alert-rules/${ruleId}/test`);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ test: true, state: 'delivered', event: null });
    const last = receiver.received.at(-1)!;
    expect(last.body).toMatchObject({ ruleId, test: true, event: null });
    expect(signatureValid(last, SECRET)).toBe(true);
    expect((await deliveries(ruleId))[0]).toMatchObject({ test: true });
  });

  it('never follows a redirect: a 3xx to the metadata address is a failed attempt with its status', async () => {
    const created = await api('POST', 'alert-rules', {
      description: 'Redirecting receiver',
      mailboxes: [t().demo.alexId],
      rights: ['FullAccess'],
      webhookUrl: receiver.url('/redirect'),
      secret: SECRET,
    });
    expect(created.status).toBe(201);
    const redirectRule = (created.json as { id: string }).id;
    const count = receiver.received.length;

    const answer = await api('POST', `alert-rules/${redirectRule}/test`);

    expect(answer.json).toMatchObject({ state: 'failed', attempts: [{ status: 302, error: null }] });
    expect(receiver.received.slice(count).map((r) => r.path)).toEqual(['/redirect']);
    expect((await api('DELETE', `alert-rules/${redirectRule}`)).status).toBe(204);
    expect((await api('GET', `alert-rules/${redirectRule}`)).status).toBe(404);
  });

  it('the secrets appear in no API answer and no log line, nor does any receiver body', () => {
    expect(answers.length).toBeGreaterThan(10);
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [SECRET, GROUP_SECRET]) {
      expect(answers.filter((a) => a.includes(secret))).toEqual([]);
      expect(lines.filter((l) => l.includes(secret))).toEqual([]);
    }
    expect(lines.filter((l) => l.includes('a receiver body the app must never keep'))).toEqual([]);
  });
});
