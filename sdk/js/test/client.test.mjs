// Catalog, configuration and every way a call can fail, against a real portal: the SDK resolves each to
// { data, error } with the server's code, message, status and details, and never throws.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { Butterbase, DEFAULT_BASE_URL } from '@butterbase/sdk';
import { freePort, startPortal } from './support/portal.mjs';

const redirectUrl = 'http://127.0.0.1:9/done';
let portal, admin, user;

before(async () => {
  portal = await startPortal({ redirectUrls: [redirectUrl] });
  admin = new Butterbase({ appId: portal.appId, apiKey: portal.apiKey, baseUrl: portal.baseUrl });
  user = new Butterbase({ appId: portal.appId, accessToken: await portal.userToken('user-1'), baseUrl: `${portal.baseUrl}/` });
});

after(async () => {
  await portal?.stop();
});

function assertError(result, status, code) {
  assert.equal(result.data, null, `expected an error, got data ${JSON.stringify(result.data)}`);
  assert.equal(result.error.status, status, JSON.stringify(result.error));
  assert.equal(result.error.code, code, JSON.stringify(result.error));
  assert.equal(typeof result.error.message, 'string');
  assert.ok(result.error.message.length > 0);
}

test('the constructor needs an appId, defaults baseUrl to localhost:5080 and drops a trailing slash', () => {
  assert.throws(() => new Butterbase({ apiKey: 'bb_sk_x' }), TypeError);
  assert.equal(new Butterbase({ appId: 'app_abc' }).baseUrl, DEFAULT_BASE_URL);
  assert.equal(DEFAULT_BASE_URL, 'http://localhost:5080');
  assert.equal(new Butterbase({ appId: 'app_abc', baseUrl: 'https://bb.example.com///' }).baseUrl, 'https://bb.example.com');
});

test('no credential and a bad API key: 401 unauthorized from the server body', async () => {
  const anonymous = new Butterbase({ appId: portal.appId, baseUrl: portal.baseUrl });
  const none = await anonymous.integrations.available('gmail');
  assertError(none, 401, 'unauthorized');
  assert.match(none.error.message, /Authorization: Bearer/);

  const bad = new Butterbase({ appId: portal.appId, apiKey: 'bb_sk_not-a-real-key', baseUrl: portal.baseUrl });
  assertError(await bad.integrations.getConfig(), 401, 'unauthorized');
  assertError(await bad.integrations.execute('SANDBOX_GET_PROFILE', {}, { userId: 'u' }), 401, 'unauthorized');

  const badJwt = new Butterbase({ appId: portal.appId, accessToken: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', baseUrl: portal.baseUrl });
  assertError(await badJwt.integrations.listConnections(), 401, 'unauthorized');
});

test('a credential of this app used on another app id is 403 forbidden', async () => {
  const elsewhere = new Butterbase({ appId: 'app_someoneelse123', apiKey: portal.apiKey, baseUrl: portal.baseUrl });
  assertError(await elsewhere.integrations.getConfig(), 403, 'forbidden');
});

test('available(search): the catalog, snake_case items, curated first; filters and paging as options', async () => {
  const { data, error } = await admin.integrations.available('slack');
  assert.equal(error, null);
  const slack = data.items[0];
  assert.equal(slack.slug, 'slack');
  assert.deepEqual(Object.keys(slack).sort(),
    ['auth_schemes', 'categories', 'curated', 'description', 'enabled', 'logo_url', 'name', 'slug', 'tool_count'].sort());
  assert.equal(slack.curated, true);
  assert.equal(slack.enabled, false);
  assert.deepEqual(slack.auth_schemes, ['oauth2']);
  assert.ok(slack.tool_count >= 1);
  assert.equal(data.limit, 50);
  assert.equal(data.offset, 0);

  const all = await user.integrations.available();
  assert.ok(all.data.total > 1000, `catalog has ${all.data.total} toolkits`);
  assert.equal(all.data.items[0].curated, true);

  const page = await admin.integrations.available({ category: 'communication', limit: 2, offset: 1 });
  assert.equal(page.data.items.length, 2);
  assert.equal(page.data.limit, 2);
  assert.equal(page.data.offset, 1);
  assert.ok(page.data.items.every((t) => t.categories.includes('communication')));

  const tooMany = await admin.integrations.available({ limit: 500 });
  assertError(tooMany, 422, 'validation_failed');
  assert.deepEqual(tooMany.error.details, [{ field: 'limit', message: tooMany.error.details[0].message }]);
});

test('toolkit(slug): auth details; an unknown toolkit is 404 unknown_toolkit', async () => {
  const { data } = await user.integrations.toolkit('gmail');
  assert.equal(data.slug, 'gmail');
  assert.equal(data.auth.default_scheme, 'oauth2');
  const scheme = data.auth.schemes[0];
  assert.equal(scheme.pkce, true);
  assert.equal(scheme.refresh, true);
  assert.ok(scheme.default_scopes.includes('https://www.googleapis.com/auth/gmail.send'));
  assert.ok(scheme.scopes.some((s) => s.name === 'https://www.googleapis.com/auth/gmail.send' && s.description.length > 0));

  assertError(await user.integrations.toolkit('no-such-toolkit'), 404, 'unknown_toolkit');
});

test('tools(toolkit): JSON Schema parameters, search; unknown toolkit 404', async () => {
  const { data, error } = await admin.integrations.tools('sandbox');
  assert.equal(error, null);
  const send = data.items.find((t) => t.name === 'SANDBOX_SEND_MESSAGE');
  assert.equal(send.toolkit, 'sandbox');
  assert.equal(typeof send.display_name, 'string');
  assert.equal(send.parameters.type, 'object');
  assert.deepEqual(send.parameters.required.sort(), ['text', 'to']);
  assert.equal(send.deprecated, false);

  const gmail = await user.integrations.tools('gmail', { search: 'send', limit: 5 });
  assert.ok(gmail.data.items.some((t) => t.name === 'GMAIL_SEND_EMAIL'));
  assert.ok(gmail.data.items.every((t) => t.toolkit === 'gmail'));

  assertError(await admin.integrations.tools('no-such-toolkit'), 404, 'unknown_toolkit');
});

test('configure / getConfig: the snake_case row, an idempotent upsert; bad input is 404 / 422 with details', async () => {
  const first = await admin.integrations.configure('sandbox');
  assert.equal(first.error, null);
  const row = first.data;
  assert.equal(row.app_id, portal.appId);
  assert.equal(row.toolkit_slug, 'sandbox');
  assert.equal(row.enabled, true);
  assert.equal(row.auth_scheme, 'oauth2');
  assert.equal(row.credentials, 'managed');
  assert.deepEqual(row.scopes, []);
  assert.ok(!Number.isNaN(Date.parse(row.updated_at)));

  const again = await admin.integrations.configure('sandbox', { displayName: 'Test provider', scopes: ['messages.read'] });
  assert.equal(again.data.id, row.id);
  assert.equal(again.data.display_name, 'Test provider');
  assert.deepEqual(again.data.scopes, ['messages.read']);

  const custom = await admin.integrations.configure('github', { credentials: { clientId: 'my-id', clientSecret: 'my-secret' } });
  assert.equal(custom.data.credentials, 'custom');
  assert.equal(JSON.stringify(custom.data).includes('my-secret'), false, 'the secret is write-only');

  const config = await user.integrations.getConfig();
  assert.equal(config.error, null);
  assert.deepEqual(config.data.items.map((c) => c.toolkit_slug).sort(), ['github', 'sandbox']);

  assertError(await admin.integrations.configure('no-such-toolkit'), 404, 'unknown_toolkit');
  const invalid = await admin.integrations.configure('sandbox', { scopes: ['two words'], authScheme: 'carrier_pigeon' });
  assertError(invalid, 422, 'validation_failed');
  assert.deepEqual(invalid.error.details.map((d) => d.field).sort(), ['authScheme', 'scopes[0]']);
  assert.ok(invalid.error.details.every((d) => d.message.length > 0));

  assertError(await admin.integrations.disableToolkit('gmail'), 404, 'toolkit_not_configured');
  assertError(await admin.integrations.disableToolkit('no-such-toolkit'), 404, 'unknown_toolkit');
});

test('a user JWT on admin endpoints is 403 forbidden with the reason', async () => {
  const configured = await user.integrations.configure('slack');
  assertError(configured, 403, 'forbidden');
  assert.match(configured.error.message, /API key/);
  assertError(await user.integrations.disableToolkit('sandbox'), 403, 'forbidden');
});

test('execute: unknown tool 404, invalid params 422 with details, toolkit_not_enabled and no_connection 409', async () => {
  assertError(await user.integrations.execute('NOPE_NOT_A_TOOL', {}), 404, 'unknown_tool');

  const invalid = await user.integrations.execute('SANDBOX_SEND_MESSAGE', { to: 42 });
  assertError(invalid, 422, 'invalid_params');
  assert.deepEqual(invalid.error.details.map((d) => d.field).sort(), ['text', 'to']);

  const notEnabled = await user.integrations.execute('GMAIL_SEND_EMAIL', { to: 'a@example.com', subject: 's', body: 'b' });
  assertError(notEnabled, 409, 'toolkit_not_enabled');

  const noConnection = await user.integrations.execute('SANDBOX_GET_PROFILE');
  assertError(noConnection, 409, 'no_connection');
  assert.match(noConnection.error.message, /POST \/connect/);

  const missingUser = await admin.integrations.execute('SANDBOX_GET_PROFILE');
  assertError(missingUser, 422, 'validation_failed');
  assert.deepEqual(missingUser.error.details.map((d) => d.field), ['userId']);

  const longKey = await user.integrations.execute('SANDBOX_GET_PROFILE', {}, { idempotencyKey: 'k'.repeat(256) });
  assertError(longKey, 422, 'validation_failed');
  assert.deepEqual(longKey.error.details.map((d) => d.field), ['Idempotency-Key']);
});

test('connect: not-enabled toolkit 409, redirect URL not allowed 400, API key without a user 422', async () => {
  assertError(await user.integrations.connect('slack', { redirectUrl }), 409, 'toolkit_not_enabled');
  assertError(await user.integrations.connect('no-such-toolkit', { redirectUrl }), 404, 'unknown_toolkit');
  assertError(await user.integrations.connect('sandbox', { redirectUrl: 'https://evil.example.com/done' }), 400, 'redirect_url_not_allowed');
  const noUser = await admin.integrations.connect('sandbox', { redirectUrl });
  assertError(noUser, 422, 'validation_failed');
  assert.deepEqual(noUser.error.details.map((d) => d.field), ['userId']);
  const asUser = await admin.integrations.asUser('user-1').connect('sandbox', { redirectUrl });
  assert.equal(asUser.error, null);
  assert.match(asUser.data.connectionRequestId, /^ca_/);
  const reconnectUnknown = await user.integrations.connect('sandbox', { redirectUrl, connectionId: 'cn_nosuchconnection0000' });
  assertError(reconnectUnknown, 404, 'connection_not_found');
});

test('disconnect / getConnection / getConnectionRequest of unknown ids: 404 not_found', async () => {
  assertError(await admin.integrations.disconnect('cn_doesnotexist00000000'), 404, 'not_found');
  assertError(await user.integrations.getConnection('cn_doesnotexist00000000'), 404, 'not_found');
  assertError(await user.integrations.getConnectionRequest('ca_doesnotexist00000000'), 404, 'not_found');
});

test('the portal unreachable: network_error, status 0, no throw', async () => {
  const port = await freePort(); // nothing listens there
  const offline = new Butterbase({ appId: portal.appId, apiKey: portal.apiKey, baseUrl: `http://127.0.0.1:${port}` });
  for (const call of [
    () => offline.integrations.available('gmail'),
    () => offline.integrations.execute('SANDBOX_GET_PROFILE', {}, { userId: 'u' }),
    () => offline.integrations.disconnect('cn_x'),
    () => offline.integrations.waitForConnection('ca_x', { timeoutMs: 1000, intervalMs: 10 }),
  ]) {
    const result = await call();
    assert.equal(result.data, null);
    assert.equal(result.error.code, 'network_error');
    assert.equal(result.error.status, 0);
    assert.match(result.error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  }
});

/** A stand-in for what can sit between the SDK and the host: a proxy page, a hung server, a broken body. */
async function misbehaving(handler) {
  const server = http.createServer(handler);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

test('non-JSON bodies: an HTML 502 maps to server_error with the text, a 200 that is not JSON to invalid_response', async () => {
  const proxy = await misbehaving((req, res) => {
    if (req.url.includes('/available')) {
      res.writeHead(502, 'Bad Gateway', { 'Content-Type': 'text/html' });
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    } else {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('OK');
    }
  });
  try {
    const bb = new Butterbase({ appId: 'app_x', apiKey: 'bb_sk_x', baseUrl: proxy.url });
    const gateway = await bb.integrations.available('x');
    assertError(gateway, 502, 'server_error');
    assert.match(gateway.error.message, /502 Bad Gateway/);
    assertError(await bb.integrations.getConfig(), 200, 'invalid_response');
  } finally {
    await proxy.close();
  }
});

test('a server that never answers: timeout after timeoutMs, no throw', async () => {
  const hung = await misbehaving(() => { /* never responds */ });
  try {
    const bb = new Butterbase({ appId: 'app_x', apiKey: 'bb_sk_x', baseUrl: hung.url, timeoutMs: 200 });
    const started = Date.now();
    const result = await bb.integrations.getConfig();
    assert.equal(result.error.code, 'timeout');
    assert.equal(result.error.status, 0);
    assert.ok(Date.now() - started < 5_000);
  } finally {
    await hung.close();
  }
});

test('a fetch override is used for every request, with the credential and JSON body', async () => {
  const seen = [];
  const bb = new Butterbase({
    appId: 'app_custom', accessToken: 'jwt-abc', baseUrl: 'https://bb.example.com',
    fetch: async (url, init) => {
      seen.push({ url, init });
      return new Response(JSON.stringify({ successful: true, data: { ok: 1 }, executionId: 'ex_1' }), { status: 200 });
    },
  });
  const result = await bb.integrations.execute('X_TOOL', { a: 1 }, { idempotencyKey: 'key-1', connectionId: 'cn_1' });
  assert.deepEqual(result, { data: { successful: true, data: { ok: 1 }, executionId: 'ex_1' }, error: null });
  assert.equal(seen[0].url, 'https://bb.example.com/v1/app_custom/integrations/execute');
  assert.equal(seen[0].init.method, 'POST');
  assert.equal(seen[0].init.headers.Authorization, 'Bearer jwt-abc');
  assert.equal(seen[0].init.headers['Idempotency-Key'], 'key-1');
  assert.deepEqual(JSON.parse(seen[0].init.body), { toolName: 'X_TOOL', params: { a: 1 }, connectionId: 'cn_1' });

  const throwing = new Butterbase({ appId: 'app_custom', baseUrl: 'https://bb.example.com', fetch: async () => { throw new TypeError('fetch failed'); } });
  const failed = await throwing.integrations.tools('gmail');
  assert.equal(failed.error.code, 'network_error');
});
