// bb.functions against a real portal: deploy JavaScript handlers, invoke them as an end user and with service
// rights, and the errors a caller sees (validation, refusal, a thrown error, a timeout, an unknown name).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Butterbase } from '@butterbase/sdk';
import { startPortal } from './support/portal.mjs';
import { consentAtSandbox, startAppSite } from './support/browser.mjs';

let portal, site, admin, carol;
const user = { id: 'carol-3', email: 'carol@sandbox.test' };

before(async () => {
  site = await startAppSite();
  portal = await startPortal({ redirectUrls: [site.redirectUrl] });
  admin = new Butterbase({ appId: portal.appId, apiKey: portal.apiKey, baseUrl: portal.baseUrl });
  carol = new Butterbase({ appId: portal.appId, accessToken: await portal.userToken(user.id), baseUrl: portal.baseUrl });
  assert.equal((await admin.integrations.configure('sandbox')).error, null);
  const { data } = await carol.integrations.connect('sandbox', { redirectUrl: site.redirectUrl });
  await consentAtSandbox(data.authUrl, { email: user.email });
  const waited = await carol.integrations.waitForConnection(data.connectionRequestId, { timeoutMs: 10_000, intervalMs: 50 });
  assert.equal(waited.data?.status, 'connected');
});

after(async () => {
  await portal?.stop();
  await site?.close();
});

const notify = `
export default async function handler(ctx) {
  const target = ctx.user ? ctx.integrations : ctx.integrations.asUser(ctx.body.userId);
  const { data, error } = await target.execute('SANDBOX_SEND_MESSAGE', { to: ctx.body.to, text: ctx.env.GREETING + ', ' + ctx.body.name });
  console.log('ran as', ctx.user ? ctx.user.id : 'service');
  return { user: ctx.user, sent: data?.successful ?? false, message: data?.data ?? null, error };
}`;

test('deploy with the API key, then invoke as the end user: ctx.user, ctx.env and ctx.integrations act for them', async () => {
  const deployed = await admin.functions.deploy({ name: 'notify', code: notify, envVars: { GREETING: 'Hello' }, timeoutMs: 5000 });
  assert.equal(deployed.error, null);
  assert.equal(deployed.data.name, 'notify');
  assert.deepEqual(deployed.data.env_vars, ['GREETING']);
  assert.equal(deployed.data.version, 1);

  const { data, error } = await carol.functions.invoke('notify', { to: 'dave@sandbox.test', name: 'Dave' });
  assert.equal(error, null);
  assert.deepEqual(data.user, { id: user.id });
  assert.equal(data.sent, true);
  assert.equal(data.message.text, 'Hello, Dave');
  assert.equal(data.error, null);

  const runs = await admin.functions.invocations('notify', { limit: 1 });
  // Written in batches (the log's writer waits up to 25 ms to fill one): poll for up to 10 s, not 40 back-to-back requests,
  // which a slow machine answered before the row was written.
  for (let i = 0; i < 200 && runs.data?.total === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    Object.assign(runs, await admin.functions.invocations('notify', { limit: 1 }));
  }
  assert.equal(runs.error, null);
  assert.equal(runs.data.items[0].outcome, 'ok');
  assert.equal(runs.data.items[0].user_id, user.id);
  assert.deepEqual(runs.data.items[0].logs, [{ level: 'log', message: `ran as ${user.id}` }]);
});

test('with the API key the function has service rights: asUser acts for a named user', async () => {
  const { data, error } = await admin.functions.invoke('notify', { userId: user.id, to: 'erin@sandbox.test', name: 'Erin' });
  assert.equal(error, null);
  assert.equal(data.user, null);
  assert.equal(data.sent, true);
  assert.equal(data.message.to, 'erin@sandbox.test');
});

test('an end user cannot deploy, and a bad deploy names the field and the line', async () => {
  const refused = await carol.functions.deploy({ name: 'mine', code: 'export default () => 1' });
  assert.equal(refused.data, null);
  assert.equal(refused.error.code, 'forbidden');
  assert.equal(refused.error.status, 403);

  const invalid = await admin.functions.deploy({ name: 'Bad Name', code: 'export default function (ctx {' });
  assert.equal(invalid.error.code, 'validation_failed');
  assert.equal(invalid.error.status, 422);
  const fields = Object.fromEntries(invalid.error.details.map((d) => [d.field, d.message]));
  assert.match(fields.name, /lowercase/);
  assert.match(fields.code, /line 1, column 30/);
});

test('a thrown error, a timeout and an unknown name come back as errors, never as throws', async () => {
  await admin.functions.deploy({ name: 'throws', code: "export default () => { throw new RangeError('out of widgets'); }" });
  const thrown = await carol.functions.invoke('throws');
  assert.equal(thrown.data, null);
  assert.equal(thrown.error.code, 'function_error');
  assert.equal(thrown.error.status, 500);
  assert.match(thrown.error.message, /RangeError: out of widgets/);

  await admin.functions.deploy({ name: 'spins', code: 'export default () => { for (;;) {} }', timeoutMs: 300 });
  const spun = await admin.functions.invoke('spins');
  assert.equal(spun.error.code, 'function_timeout');
  assert.equal(spun.error.status, 504);

  const missing = await carol.functions.invoke('no-such-function');
  assert.equal(missing.error.code, 'function_not_found');
  assert.equal(missing.error.status, 404);
});

test('a text answer comes back as text and no answer as null; list, get and delete', async () => {
  await admin.functions.deploy({ name: 'text', code: "export default () => new Response('plain words', { headers: { 'content-type': 'text/plain' } })" });
  assert.deepEqual(await carol.functions.invoke('text'), { data: 'plain words', error: null });
  await admin.functions.deploy({ name: 'silent', code: 'export default async () => {}' });
  assert.deepEqual(await carol.functions.invoke('silent'), { data: null, error: null });

  const listed = await admin.functions.list();
  assert.deepEqual(listed.data.items.map((f) => f.name), ['notify', 'silent', 'spins', 'text', 'throws']);
  assert.ok(listed.data.items.every((f) => f.code === null), 'the list leaves the code out');
  const one = await admin.functions.get('silent');
  assert.equal(one.data.code, 'export default async () => {}');

  assert.deepEqual(await admin.functions.delete('silent'), { data: { name: 'silent', deleted: true }, error: null });
  assert.equal((await carol.functions.invoke('silent')).error.code, 'function_not_found');
  assert.equal((await admin.functions.delete('silent')).error.code, 'function_not_found');
});

test('schedules: set a weekday cron as a user and a paused one, read them back with next_run_at; a bad cron is validation_failed', async () => {
  const set = await admin.functions.setSchedules('notify', [
    { cron: '0 9 * * 1-5', timeZone: 'Europe/Berlin', runAs: user.id, body: { to: 'team@sandbox.test', name: 'Team' } },
    { cron: '30 4 1 * *', enabled: false },
  ]);
  assert.equal(set.error, null);
  assert.equal(set.data.length, 2);
  assert.match(set.data[0].id, /^sch_/);
  assert.equal(set.data[0].runAs, user.id);
  assert.ok(Date.parse(set.data[0].next_run_at) > Date.now(), 'the next run is in the future');
  assert.equal(set.data[1].timeZone, 'UTC');
  assert.equal(set.data[1].next_run_at, null, 'paused');

  const read = await admin.functions.schedules('notify');
  assert.deepEqual(read.data, set.data);
  assert.equal((await admin.functions.setSchedules('notify', read.data)).error, null, 'a read list can be written back as is');

  const bad = await admin.functions.setSchedules('notify', [{ cron: '0 0 9 * * ?' }, { cron: '0 9 * * *', timeZone: 'Mars/Olympus' }]);
  assert.equal(bad.error.code, 'validation_failed');
  assert.deepEqual(bad.error.details.map((d) => d.field), ['[0].cron', '[1].timeZone']);

  assert.deepEqual((await admin.functions.setSchedules('notify', [])).data, []);
  assert.equal((await carol.functions.schedules('notify')).error.status, 403, 'a user token cannot manage schedules');
});
