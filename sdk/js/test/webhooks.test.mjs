// verifyWebhook against real deliveries: the built portal (a real process) signs and POSTs events to a receiver on
// 127.0.0.1, and the SDK verifies them; a changed body, another secret or an old timestamp are refused.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook } from '@butterbase/sdk';
import { startPortal } from './support/portal.mjs';

let portal, receiver, receiverUrl;
const waiting = [];
const arrived = [];

before(async () => {
  portal = await startPortal({ env: { Butterbase__Webhooks__PollInterval: '00:00:00.200' } });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      res.writeHead(204).end();
      const delivery = { body, headers: req.headers };
      const next = waiting.shift();
      if (next) next(delivery); else arrived.push(delivery);
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}/hooks`;
});

after(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await portal?.stop();
});

/** The next delivery the receiver gets (resolves as it arrives, fails after 20 s). */
function nextDelivery() {
  if (arrived.length > 0) return Promise.resolve(arrived.shift());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no delivery within 20 s')), 20_000);
    waiting.push((d) => { clearTimeout(timer); resolve(d); });
  });
}

async function api(method, path, body) {
  const response = await fetch(`${portal.baseUrl}/v1/${portal.appId}${path}`, {
    method,
    headers: { authorization: `Bearer ${portal.apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

test('a real delivery from the portal verifies, and a changed body, another secret or an old timestamp do not', async () => {
  const endpoint = await api('POST', '/webhooks', { url: receiverUrl });
  assert.match(endpoint.secret, /^whsec_/);
  await api('POST', `/webhooks/${endpoint.id}/test`);
  const delivery = await nextDelivery();

  const { data, error } = verifyWebhook(delivery.body, delivery.headers, endpoint.secret);
  assert.equal(error, null, JSON.stringify(error));
  assert.equal(data.type, 'webhook.test');
  assert.equal(data.data.endpointId, endpoint.id);
  assert.ok(!Number.isNaN(Date.parse(data.timestamp)));
  // The same through a fetch-style Headers object, and a Uint8Array body.
  assert.equal(verifyWebhook(new TextEncoder().encode(delivery.body), new Headers(delivery.headers), endpoint.secret).data.type, 'webhook.test');

  const tampered = verifyWebhook(delivery.body.replace('webhook.test', 'webhook.tost'), delivery.headers, endpoint.secret);
  assert.equal(tampered.data, null);
  assert.equal(tampered.error.code, 'invalid_signature');

  const other = await api('POST', '/webhooks', { url: receiverUrl, events: ['connection.expired'] });
  assert.equal(verifyWebhook(delivery.body, delivery.headers, other.secret).error.code, 'invalid_signature');
  assert.equal(verifyWebhook(delivery.body, {}, endpoint.secret).error.code, 'invalid_signature');

  // A captured request replayed ten minutes later (re-signed so only its age is wrong).
  const old = new Date(Date.now() - 10 * 60_000);
  const replayed = { ...delivery.headers, 'webhook-timestamp': String(Math.floor(old.getTime() / 1000)),
    'webhook-signature': new Webhook(endpoint.secret).sign(delivery.headers['webhook-id'], old, delivery.body) };
  assert.equal(verifyWebhook(delivery.body, replayed, endpoint.secret).error.code, 'invalid_timestamp');
});

test('after a rotation a delivery verifies with the new secret and with the old one during the overlap', async () => {
  const endpoint = await api('POST', '/webhooks', { url: receiverUrl, events: ['webhook.test'] });
  const { secret } = await api('POST', `/webhooks/${endpoint.id}/rotate-secret`);
  assert.notEqual(secret, endpoint.secret);
  await api('POST', `/webhooks/${endpoint.id}/test`);
  const delivery = await nextDelivery();
  assert.equal(delivery.headers['webhook-signature'].split(' ').length, 2);
  assert.equal(verifyWebhook(delivery.body, delivery.headers, secret).data.type, 'webhook.test');
  assert.equal(verifyWebhook(delivery.body, delivery.headers, endpoint.secret).data.type, 'webhook.test');
});
