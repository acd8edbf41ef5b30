// The two documented examples (docs/api.md "Documented examples"), run as written against a real portal whose Gmail,
// Google Calendar and Slack toolkits point at node stand-ins for Google and Slack (test/support/fakes.mjs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Butterbase } from '@butterbase/sdk';
import handler from './fixtures/handler.mjs';
import { freePort, startPortal } from './support/portal.mjs';
import { followAuthUrl } from './support/browser.mjs';
import { startGoogle, startSlack } from './support/fakes.mjs';

const appRedirect = 'https://yourapp.com/connected'; // the docs' redirect URL, allowed for the test app
let portal, google, slack, admin;

before(async () => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  google = await startGoogle();
  slack = await startSlack();
  google.state.redirectUris.push(`${origin}/v1/oauth/callback/gmail`, `${origin}/v1/oauth/callback/google-calendar`);
  slack.state.redirectUris.push(`${origin}/v1/oauth/callback/slack`);
  portal = await startPortal({
    port,
    redirectUrls: [appRedirect],
    env: { ...google.settingsFor('gmail'), ...google.settingsFor('google-calendar'), ...slack.settingsFor('slack') },
  });
  admin = new Butterbase({ appId: portal.appId, apiKey: portal.apiKey, baseUrl: portal.baseUrl });
  for (const toolkit of ['gmail', 'google-calendar']) assert.equal((await admin.integrations.configure(toolkit)).error, null);
});

after(async () => {
  await portal?.stop();
  await google?.close();
  await slack?.close();
});

const userClient = async (userId) =>
  new Butterbase({ appId: portal.appId, accessToken: await portal.userToken(userId), baseUrl: portal.baseUrl });

/** The end user's side of connecting: the provider signs them in and sends them through the callback back to the app. */
async function completeConnect(bb, connectResult) {
  const landed = await followAuthUrl(connectResult.authUrl, { stopBefore: appRedirect });
  const back = new URL(landed.url);
  assert.equal(back.origin + back.pathname, appRedirect, `ended at ${landed.url}`);
  assert.equal(back.searchParams.get('status'), 'connected', landed.url);
  const waited = await bb.integrations.waitForConnection(connectResult.connectionRequestId, { timeoutMs: 10_000, intervalMs: 50 });
  assert.equal(waited.error, null);
  assert.equal(waited.data.status, 'connected');
  assert.equal(waited.data.connectionId, back.searchParams.get('connectionId'));
  return waited.data.connectionId;
}

async function connectGoogle(userId, toolkit, email) {
  google.state.nextEmail = email;
  const { data, error } = await admin.integrations.asUser(userId).connect(toolkit, { redirectUrl: appRedirect });
  assert.equal(error, null);
  return completeConnect(admin, data);
}

test('the Functions example runs as written: Gmail as the calling user, Calendar as a given user', async () => {
  await connectGoogle('fn-caller', 'gmail', 'caller@gmail.test');
  await connectGoogle('cron-user', 'google-calendar', 'cron@gmail.test');
  const gmailTokenRequest = google.state.tokenRequests.at(-2);
  assert.ok(gmailTokenRequest.code_verifier, 'the host sent its PKCE verifier (the fake checked it against the challenge)');

  // A Functions runtime's ctx: execute runs as the calling user (their JWT), asUser with service rights (API key).
  const caller = await userClient('fn-caller');
  const results = [];
  const record = async (pending) => { const r = await pending; results.push(r); return r; };
  const ctx = {
    body: { email: 'newcomer@example.com', userId: 'cron-user' },
    integrations: {
      execute: (toolName, params, options) => record(caller.integrations.execute(toolName, params, options)),
      asUser: (id) => {
        const scope = admin.integrations.asUser(id);
        return { ...scope, execute: (toolName, params, options) => record(scope.execute(toolName, params, options)) };
      },
    },
  };

  globalThis.userId = ctx.body.userId;
  const before = Date.now();
  let returned;
  try {
    returned = await handler(ctx);
  } finally {
    delete globalThis.userId;
  }
  assert.deepEqual(returned, { ok: true });

  const [result, events] = results;
  assert.equal(result.error, null);
  assert.equal(result.data.successful, true);
  assert.match(result.data.executionId, /^ex_/);
  const [mail] = google.state.sentMessages;
  assert.equal(google.state.sentMessages.length, 1);
  assert.equal(result.data.data.messageId, mail.id);
  assert.equal(mail.from, 'caller@gmail.test', 'sent from the calling user’s account');
  assert.match(mail.headers.to, /newcomer@example\.com/);
  assert.equal(mail.headers.subject, 'Welcome!');
  assert.equal(mail.body.trim(), 'Thanks for signing up.');
  assert.match(mail.headers['content-type'], /text\/plain/);

  assert.equal(events.error, null);
  assert.equal(events.data.successful, true);
  assert.equal(events.data.data.items[0].summary, 'Standup');
  const [listed] = google.state.eventsRequests;
  assert.equal(listed.email, 'cron@gmail.test', 'listed with the cron user’s account');
  assert.equal(listed.calendarId, 'primary');
  const timeMin = Date.parse(listed.query.timeMin);
  assert.ok(timeMin >= before - 1000 && timeMin <= Date.now() + 1000, `timeMin ${listed.query.timeMin} is "now"`);
});

test('the Functions example, deployed verbatim, runs in the portal\'s own function runtime', async () => {
  // In the runtime, asUser(id) for another user needs the API key, and a call with the API key has no calling user,
  // so the docs' two calls succeed together when the caller names itself: userId is defined as the caller.
  await connectGoogle('fn-self', 'gmail', 'self@gmail.test');
  await connectGoogle('fn-self', 'google-calendar', 'self@gmail.test');
  const verbatim = readFileSync(new URL('./fixtures/handler.mjs', import.meta.url), 'utf8');
  const deployed = await admin.functions.deploy({ name: 'welcome', code: "const userId = 'fn-self';\n" + verbatim });
  assert.equal(deployed.error, null);

  const mailsBefore = google.state.sentMessages.length;
  const eventsBefore = google.state.eventsRequests.length;
  const caller = await userClient('fn-self');
  const { data, error } = await caller.functions.invoke('welcome', { email: 'joiner@example.com' });
  assert.equal(error, null);
  assert.deepEqual(data, { ok: true });
  assert.equal(google.state.sentMessages.length, mailsBefore + 1);
  const mail = google.state.sentMessages.at(-1);
  assert.equal(mail.from, 'self@gmail.test');
  assert.match(mail.headers.to, /joiner@example\.com/);
  assert.equal(mail.headers.subject, 'Welcome!');
  assert.equal(google.state.eventsRequests.length, eventsBefore + 1);
  assert.equal(google.state.eventsRequests.at(-1).email, 'self@gmail.test');
});

test('the SDK example runs as written, each call in its own scope (a JWT for the user calls, the API key for admin and service)', async () => {
  const appId = portal.appId, apiKey = portal.apiKey, baseUrl = portal.baseUrl;
  const userId = 'docs-user';
  const accessToken = await portal.userToken(userId);
  await connectGoogle(userId, 'gmail', 'docs-user@gmail.test');
  const postedBefore = slack.state.posted.length;
  const mailsBefore = google.state.sentMessages.length;

  {
    const bb = new Butterbase({ appId, apiKey, baseUrl });
    // Admin: configure a toolkit
    await bb.integrations.configure('slack');
  }
  {
    const bb = new Butterbase({ appId, apiKey, baseUrl });
    // Get configured integrations
    const { data } = await bb.integrations.getConfig();
    const row = data.items.find((c) => c.toolkit_slug === 'slack');
    assert.equal(row.enabled, true);
    assert.equal(row.display_name, 'Slack');
  }
  let connect;
  {
    const bb = new Butterbase({ appId, accessToken, baseUrl });
    // User: generate OAuth connect URL
    const { data: result } = await bb.integrations.connect('slack', {
      redirectUrl: 'https://yourapp.com/connected',
    });
    // window.location.href = result.authUrl;   // in a browser
    const authUrl = new URL(result.authUrl);
    assert.equal(authUrl.origin + authUrl.pathname, `${slack.origin}/oauth/v2/authorize`);
    assert.equal(authUrl.searchParams.get('client_id'), slack.clientId);
    assert.equal(authUrl.searchParams.get('scope').split(',').includes('chat:write'), true, 'Slack scopes are comma-separated');
    connect = result;
  }
  // The browser goes through Slack and the callback; the connection is the workspace, labelled by its name.
  const userBb = new Butterbase({ appId, accessToken, baseUrl });
  const slackConnectionId = await completeConnect(userBb, connect);
  assert.equal(slack.state.tokenRequests.at(-1).basic, true, 'oauth.v2.access with HTTP Basic client auth');
  assert.equal((await userBb.integrations.getConnection(slackConnectionId)).data.account_label, 'Fake Workspace');
  {
    const bb = new Butterbase({ appId, accessToken, baseUrl });
    // Execute a tool (JWT auth)
    const { data } = await bb.integrations.execute('SLACK_SEND_MESSAGE', {
      channel: '#general', text: 'Hello from my app',
    });
    assert.equal(data.successful, true);
    assert.equal(data.data.channel, 'C0GENERAL');
    assert.equal(data.data.ts, slack.state.posted.at(-1).ts);
  }
  assert.equal(slack.state.posted.length, postedBefore + 1);
  assert.deepEqual(
    { channel: slack.state.posted.at(-1).requestedChannel, text: slack.state.posted.at(-1).text },
    { channel: '#general', text: 'Hello from my app' });
  {
    const bb = new Butterbase({ appId, apiKey, baseUrl });
    // Service-level execution on behalf of a user
    const { data } = await bb.integrations.asUser(userId).execute(
      'GMAIL_SEND_EMAIL', { to: 'user@example.com', subject: 'Hi', body: 'Hello' });
    assert.equal(data.successful, true);
    assert.equal(data.data.messageId, google.state.sentMessages.at(-1).id);
  }
  assert.equal(google.state.sentMessages.length, mailsBefore + 1);
  const mail = google.state.sentMessages.at(-1);
  assert.equal(mail.from, 'docs-user@gmail.test');
  assert.equal(mail.headers.to, 'user@example.com');
  assert.equal(mail.headers.subject, 'Hi');
  assert.equal(mail.body.trim(), 'Hello');
});

test('a Slack failure answered 200 ok:false is a failed ExecuteResult with the provider body, not an SDK error', async () => {
  const bb = await userClient('docs-user');
  const { data, error } = await bb.integrations.execute('SLACK_SEND_MESSAGE', { channel: '#no-such-channel', text: 'lost' });
  assert.equal(error, null);
  assert.equal(data.successful, false);
  assert.equal(data.error.code, 'upstream_error');
  assert.match(data.error.message, /channel_not_found/);
  assert.equal(data.error.retryable, false);
  assert.deepEqual(data.data, { ok: false, error: 'channel_not_found' });
  assert.match(data.executionId, /^ex_/);
});

test('disconnecting the Slack connection revokes its token at Slack (auth.revoke)', async () => {
  const bb = await userClient('docs-user');
  const { data } = await bb.integrations.listConnections({ toolkit: 'slack' });
  assert.equal(data.total, 1);
  const revokedBefore = slack.state.revoked.length;
  assert.equal((await bb.integrations.disconnect(data.items[0].id)).error, null);
  const deadline = Date.now() + 10_000;
  while (slack.state.revoked.length === revokedBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal(slack.state.revoked.length, revokedBefore + 1, 'the host called auth.revoke');
  const after = await bb.integrations.execute('SLACK_SEND_MESSAGE', { channel: '#general', text: 'after' });
  assert.equal(after.error.code, 'no_connection');
});
