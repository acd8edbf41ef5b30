// The whole life of a connection through the SDK, against a real portal and its built-in Sandbox provider:
// connect, consent in a "browser", wait for the connection, execute as the user and as the app, idempotency,
// list / get / disconnect, disabling the toolkit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Butterbase } from '@butterbase/sdk';
import { startPortal } from './support/portal.mjs';
import { consentAtSandbox, startAppSite } from './support/browser.mjs';

let portal, site, admin;
const alice = { id: 'alice-1', email: 'alice@sandbox.test' };
const bob = { id: 'bob-2', email: 'bob@sandbox.test' };
let aliceBb, bobBb, aliceConnectionId;

before(async () => {
  site = await startAppSite();
  portal = await startPortal({ redirectUrls: [site.redirectUrl] });
  admin = new Butterbase({ appId: portal.appId, apiKey: portal.apiKey, baseUrl: portal.baseUrl });
  aliceBb = new Butterbase({ appId: portal.appId, accessToken: await portal.userToken(alice.id), baseUrl: portal.baseUrl });
  bobBb = new Butterbase({ appId: portal.appId, accessToken: await portal.userToken(bob.id), baseUrl: portal.baseUrl });
  const configured = await admin.integrations.configure('sandbox');
  assert.equal(configured.error, null);
});

after(async () => {
  await portal?.stop();
  await site?.close();
});

test('connect → consent → waitForConnection resolves with the new connection, and the app gets the redirect', async () => {
  const { data, error } = await aliceBb.integrations.connect('sandbox', { redirectUrl: site.redirectUrl });
  assert.equal(error, null);
  assert.match(data.connectionRequestId, /^ca_/);
  const authUrl = new URL(data.authUrl);
  assert.equal(authUrl.origin + authUrl.pathname, `${portal.baseUrl}/sandbox/connect/authorize`);
  assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');

  const pending = await aliceBb.integrations.getConnectionRequest(data.connectionRequestId);
  assert.deepEqual(pending, { data: { id: data.connectionRequestId, status: 'initiated', connectionId: null, error: null }, error: null });

  // Poll while the user is on the consent page.
  const waiting = aliceBb.integrations.waitForConnection(data.connectionRequestId, { timeoutMs: 20_000, intervalMs: 50 });
  const landed = await consentAtSandbox(data.authUrl, { email: alice.email });
  assert.ok(landed.form.fields.some(([name]) => name.startsWith('__RequestVerificationToken')), 'the consent form carries an antiforgery field');
  assert.ok(landed.visited.some((u) => u.startsWith(`${portal.baseUrl}/v1/oauth/callback/sandbox?`)), 'the provider sent the browser to the callback');
  assert.equal(new URL(landed.url).pathname, '/done');

  const waited = await waiting;
  assert.equal(waited.error, null);
  assert.equal(waited.data.status, 'connected');
  assert.match(waited.data.connectionId, /^cn_/);
  aliceConnectionId = waited.data.connectionId;
  assert.deepEqual(site.landings.at(-1), { status: 'connected', toolkit: 'sandbox', connectionId: aliceConnectionId });
});

test('execute as the calling user (JWT): the Sandbox API runs and the result is typed as on the wire', async () => {
  const sent = await aliceBb.integrations.execute('SANDBOX_SEND_MESSAGE', { to: 'bob', text: 'hello from the sdk' });
  assert.equal(sent.error, null);
  assert.equal(sent.data.successful, true);
  assert.match(sent.data.executionId, /^ex_/);
  assert.equal(sent.data.data.text, 'hello from the sdk');
  assert.equal(sent.data.data.to, 'bob');

  const listed = await aliceBb.integrations.execute('SANDBOX_LIST_MESSAGES', { limit: 10 });
  assert.equal(listed.data.successful, true);
  assert.ok(JSON.stringify(listed.data.data).includes('hello from the sdk'));

  const profile = await aliceBb.integrations.execute('SANDBOX_GET_PROFILE');
  assert.equal(profile.data.successful, true);
  assert.ok(JSON.stringify(profile.data.data).includes(alice.email));
});

test('proxy: any Sandbox endpoint with the user\'s credentials; the provider\'s status is data, a refused request is error', async () => {
  const me = await aliceBb.integrations.proxy({ toolkit: 'sandbox', method: 'GET', path: '/me', headers: { Accept: 'application/json' } });
  assert.equal(me.error, null, JSON.stringify(me.error));
  assert.equal(me.data.status, 200);
  assert.equal(me.data.body.email, alice.email);
  assert.match(me.data.headers['content-type'], /^application\/json/);
  assert.match(me.data.executionId, /^ex_/);

  const asApp = await admin.integrations.asUser(alice.id).proxy({ connectionId: aliceConnectionId, method: 'POST', path: 'messages', body: { to: 'bob', text: 'raw' } });
  assert.equal(asApp.error, null, JSON.stringify(asApp.error));
  assert.ok(asApp.data.status >= 200 && asApp.data.status < 300, JSON.stringify(asApp.data));

  const missing = await aliceBb.integrations.proxy({ toolkit: 'sandbox', method: 'GET', path: '/no-such-endpoint' });
  assert.equal(missing.error, null);
  assert.equal(missing.data.status, 404);

  const escape = await aliceBb.integrations.proxy({ toolkit: 'sandbox', method: 'GET', path: '/../../v1/whoami' });
  assert.equal(escape.data, null);
  assert.equal(escape.error.status, 422);
  assert.equal(escape.error.code, 'invalid_request');
  assert.equal(escape.error.details[0].field, 'path');

  const smuggled = await aliceBb.integrations.proxy({ toolkit: 'sandbox', method: 'GET', path: '/me', headers: { Authorization: 'Bearer mine' } });
  assert.equal(smuggled.error.code, 'invalid_request');
  assert.equal(smuggled.error.details[0].field, 'headers.Authorization');

  const nobody = await bobBb.integrations.proxy({ toolkit: 'sandbox', method: 'GET', path: '/me' });
  assert.equal(nobody.error.status, 409);
  assert.equal(nobody.error.code, 'no_connection');
});

test('asUser(userId).execute with the API key acts for that user', async () => {
  const sent = await admin.integrations.asUser(alice.id).execute('SANDBOX_SEND_MESSAGE', { to: 'carol', text: 'sent by the backend' });
  assert.equal(sent.error, null);
  assert.equal(sent.data.successful, true);
  const listed = await aliceBb.integrations.execute('SANDBOX_LIST_MESSAGES', { limit: 20 });
  assert.ok(JSON.stringify(listed.data.data).includes('sent by the backend'), 'the message went out from alice’s account');

  // The same through execute's own userId option.
  const viaOption = await admin.integrations.execute('SANDBOX_GET_PROFILE', {}, { userId: alice.id });
  assert.equal(viaOption.data.successful, true);
});

test('asUser with a user JWT for someone else is refused (403), and a user without a connection gets no_connection', async () => {
  const refused = await bobBb.integrations.asUser(alice.id).execute('SANDBOX_SEND_MESSAGE', { to: 'x', text: 'impersonation' });
  assert.equal(refused.data, null);
  assert.equal(refused.error.code, 'forbidden');
  assert.equal(refused.error.status, 403);

  const none = await bobBb.integrations.execute('SANDBOX_LIST_MESSAGES', { limit: 1 });
  assert.equal(none.data, null);
  assert.equal(none.error.code, 'no_connection');
  assert.equal(none.error.status, 409);
  assert.match(none.error.message, /connect/i);
});

test('an Idempotency-Key replay returns the first result and does not send twice', async () => {
  const key = `idem-${Date.now()}`;
  const text = `only once ${key}`;
  const first = await aliceBb.integrations.execute('SANDBOX_SEND_MESSAGE', { to: 'dave', text }, { idempotencyKey: key });
  const second = await aliceBb.integrations.execute('SANDBOX_SEND_MESSAGE', { to: 'dave', text }, { idempotencyKey: key });
  assert.equal(first.data.successful, true);
  assert.equal(second.data.executionId, first.data.executionId);
  assert.deepEqual(second.data.data, first.data.data);

  const third = await aliceBb.integrations.execute('SANDBOX_SEND_MESSAGE', { to: 'dave', text }, { idempotencyKey: `${key}-other` });
  assert.notEqual(third.data.executionId, first.data.executionId);

  const listed = await aliceBb.integrations.execute('SANDBOX_LIST_MESSAGES', { limit: 100 });
  const copies = JSON.stringify(listed.data.data).split(text).length - 1;
  assert.equal(copies, 2, 'the replay did not reach the provider; the new key did');
});

test('execute picks an account with connectionId, and rejects one that is not the user’s', async () => {
  const picked = await aliceBb.integrations.execute('SANDBOX_GET_PROFILE', {}, { connectionId: aliceConnectionId });
  assert.equal(picked.data.successful, true);
  const wrong = await aliceBb.integrations.execute('SANDBOX_GET_PROFILE', {}, { connectionId: 'cn_doesnotexist00000000' });
  assert.equal(wrong.data, null);
  assert.equal(wrong.error.code, 'connection_not_found');
  assert.equal(wrong.error.status, 404);
});

test('listConnections / getConnection: snake_case rows; a user sees only their own, the app sees all', async () => {
  const own = await aliceBb.integrations.listConnections();
  assert.equal(own.error, null);
  assert.equal(own.data.total, 1);
  const row = own.data.items[0];
  assert.equal(row.id, aliceConnectionId);
  assert.equal(row.app_id, portal.appId);
  assert.equal(row.user_id, alice.id);
  assert.equal(row.toolkit_slug, 'sandbox');
  assert.equal(row.status, 'active');
  assert.equal(row.account_label, alice.email);
  assert.ok(row.scopes.includes('messages.write'));
  assert.ok(!Number.isNaN(Date.parse(row.created_at)));
  assert.equal(JSON.stringify(own.data).includes('token'), false, 'no token in any response');

  assert.equal((await bobBb.integrations.listConnections()).data.total, 0);
  const hidden = await bobBb.integrations.getConnection(aliceConnectionId);
  assert.equal(hidden.error.code, 'not_found');
  assert.equal(hidden.error.status, 404);

  const got = await aliceBb.integrations.getConnection(aliceConnectionId);
  // last_used_at is written by the execution log's writer in its next batch (up to 25 ms later): it may move between reads.
  const { last_used_at: gotUsed, ...gotRest } = got.data;
  const { last_used_at: rowUsed, ...rowRest } = row;
  assert.deepEqual(gotRest, rowRest);
  assert.ok(gotUsed === null || rowUsed === null || gotUsed >= rowUsed, 'last_used_at never goes back');

  const byUser = await admin.integrations.listConnections({ userId: alice.id, toolkit: 'sandbox', status: 'active' });
  assert.deepEqual(byUser.data.items.map((c) => c.id), [aliceConnectionId]);
  assert.equal((await admin.integrations.listConnections({ toolkit: 'gmail' })).data.total, 0);
  assert.deepEqual((await admin.integrations.asUser(bob.id).listConnections()).data.items, []);

  const filterRefused = await bobBb.integrations.listConnections({ userId: alice.id });
  assert.equal(filterRefused.error.code, 'forbidden');
  const badStatus = await admin.integrations.listConnections({ status: 'sleeping' });
  assert.equal(badStatus.error.code, 'validation_failed');
  assert.deepEqual(badStatus.error.details.map((d) => d.field), ['status']);
});

test('waitForConnection gives up with error code timeout while the user has not finished', async () => {
  const { data } = await admin.integrations.asUser(bob.id).connect('sandbox', { redirectUrl: site.redirectUrl });
  assert.match(data.connectionRequestId, /^ca_/);
  const started = Date.now();
  const waited = await admin.integrations.waitForConnection(data.connectionRequestId, { timeoutMs: 400, intervalMs: 50 });
  const elapsed = Date.now() - started;
  assert.equal(waited.data, null);
  assert.equal(waited.error.code, 'timeout');
  assert.equal(waited.error.status, 0);
  assert.ok(elapsed >= 400 && elapsed < 5_000, `waited ${elapsed} ms`);
});

test('a denied consent: waitForConnection resolves failed with access_denied, and the app is told so', async () => {
  const { data } = await bobBb.integrations.connect('sandbox', { redirectUrl: `${site.redirectUrl}?tab=integrations` });
  const landed = await consentAtSandbox(data.authUrl, { email: bob.email, decision: 'deny' });
  assert.equal(new URL(landed.url).pathname, '/done');
  assert.deepEqual(site.landings.at(-1), { tab: 'integrations', status: 'failed', toolkit: 'sandbox', error: 'access_denied' });
  const waited = await bobBb.integrations.waitForConnection(data.connectionRequestId, { timeoutMs: 5_000, intervalMs: 50 });
  assert.deepEqual(waited.data, { id: data.connectionRequestId, status: 'failed', connectionId: null, error: 'access_denied' });
  assert.equal((await bobBb.integrations.listConnections()).data.total, 0);
});

test('waitForConnection / getConnectionRequest of an unknown or another user’s request answer not_found at once', async () => {
  const unknown = await admin.integrations.waitForConnection('ca_nosuchrequest000000', { timeoutMs: 5_000, intervalMs: 50 });
  assert.equal(unknown.error.code, 'not_found');
  assert.equal(unknown.error.status, 404);
  const { data } = await admin.integrations.asUser(alice.id).connect('sandbox', { redirectUrl: site.redirectUrl });
  const others = await bobBb.integrations.getConnectionRequest(data.connectionRequestId);
  assert.equal(others.error.code, 'not_found');
});

test('disableToolkit: connect and execute answer toolkit_disabled until configure re-enables it', async () => {
  const disabled = await admin.integrations.disableToolkit('sandbox');
  assert.equal(disabled.error, null);
  assert.equal(disabled.data.enabled, false);
  assert.equal(disabled.data.toolkit_slug, 'sandbox');

  const exec = await aliceBb.integrations.execute('SANDBOX_GET_PROFILE');
  assert.equal(exec.error.code, 'toolkit_disabled');
  assert.equal(exec.error.status, 409);
  const connect = await aliceBb.integrations.connect('sandbox', { redirectUrl: site.redirectUrl });
  assert.equal(connect.error.code, 'toolkit_disabled');
  assert.equal((await aliceBb.integrations.getConfig()).data.items.find((c) => c.toolkit_slug === 'sandbox').enabled, false);

  const reenabled = await admin.integrations.configure('sandbox');
  assert.equal(reenabled.data.enabled, true);
  assert.equal(reenabled.data.id, disabled.data.id);
  assert.equal((await aliceBb.integrations.execute('SANDBOX_GET_PROFILE')).data.successful, true, 'the connection was kept');
});

test('disconnect deletes the connection: it is gone from the list and execute needs a new one', async () => {
  const gone = await aliceBb.integrations.disconnect(aliceConnectionId);
  assert.deepEqual(gone, { data: { id: aliceConnectionId, disconnected: true }, error: null });
  assert.equal((await aliceBb.integrations.getConnection(aliceConnectionId)).error.code, 'not_found');
  assert.equal((await aliceBb.integrations.listConnections()).data.total, 0);
  assert.equal((await aliceBb.integrations.execute('SANDBOX_GET_PROFILE')).error.code, 'no_connection');

  const again = await aliceBb.integrations.disconnect(aliceConnectionId);
  assert.equal(again.data, null);
  assert.equal(again.error.code, 'not_found');
  assert.equal(again.error.status, 404);
});
