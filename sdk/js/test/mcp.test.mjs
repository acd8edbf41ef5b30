// An app's MCP servers driven by the official TypeScript MCP client (@modelcontextprotocol/sdk) over Streamable HTTP,
// against a real portal and its built-in Sandbox provider: list tools (direct and router), get a connect link for an
// unconnected user, follow it through the Sandbox consent, call again and succeed; allow-lists and read-only hold on
// call; another app's credential is refused; one user's agent never acts as another.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startPortal } from './support/portal.mjs';
import { consentAtSandbox } from './support/browser.mjs';

let portal;

async function api(method, path, body, key = portal.apiKey) {
  const response = await fetch(`${portal.baseUrl}/v1/${portal.appId}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

before(async () => {
  portal = await startPortal();
  assert.equal((await api('POST', '/integrations/configure', { toolkit: 'sandbox' })).status, 200);
  for (const server of [
    { name: 'assistant', mode: 'direct', toolkits: ['sandbox'] },
    { name: 'router', mode: 'router', toolkits: ['sandbox'] },
    { name: 'lister', mode: 'direct', toolkits: ['sandbox'], tools: ['SANDBOX_LIST_MESSAGES'] },
    { name: 'reader', mode: 'direct', toolkits: ['sandbox'], readOnly: true },
  ]) {
    const created = await api('POST', '/mcp-servers', server);
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
});

after(async () => {
  await portal?.stop();
});

async function connectAgent(server, { bearer = portal.apiKey, userId, appId = portal.appId } = {}) {
  const headers = { Authorization: `Bearer ${bearer}` };
  if (userId) headers['Butterbase-User-Id'] = userId;
  const client = new Client({ name: 'butterbase-sdk-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${portal.baseUrl}/mcp/${appId}/${server}`), { requestInit: { headers } }));
  return client;
}

test('direct mode: an unconnected user gets a connect link, consents at the Sandbox, and the next call succeeds', async () => {
  const agent = await connectAgent('assistant', { userId: 'ts-alice' });
  try {
    const { tools } = await agent.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['SANDBOX_GET_PROFILE', 'SANDBOX_LIST_MESSAGES', 'SANDBOX_SEND_MESSAGE']);
    assert.equal(tools.find((t) => t.name === 'SANDBOX_LIST_MESSAGES').annotations.readOnlyHint, true);

    const first = await agent.callTool({ name: 'SANDBOX_GET_PROFILE', arguments: {} });
    assert.equal(first.isError, true);
    assert.equal(first.structuredContent.error, 'no_connection');
    const link = first.structuredContent.connect_url;
    assert.ok(link.startsWith(`${portal.baseUrl}/connect/start?t=`), link);

    const landed = await consentAtSandbox(link, { email: 'ts-alice@sandbox.test' });
    assert.equal(new URL(landed.url).pathname, '/connect/done');
    assert.match(landed.html, /return to your agent/);

    const sent = await agent.callTool({ name: 'SANDBOX_SEND_MESSAGE', arguments: { to: 'bob', text: 'from a TypeScript agent' } });
    assert.notEqual(sent.isError, true, JSON.stringify(sent));
    assert.equal(sent.structuredContent.successful, true);
    assert.match(sent.content[0].text, /from a TypeScript agent/);

    const profile = await agent.callTool({ name: 'SANDBOX_GET_PROFILE', arguments: {} });
    assert.match(JSON.stringify(profile.structuredContent.data), /ts-alice@sandbox\.test/);
  } finally {
    await agent.close();
  }
});

test('router mode: search, schema, execute and the user\'s connections; another user\'s token sees none of them', async () => {
  const agent = await connectAgent('router', { bearer: await portal.userToken('ts-alice') });
  try {
    const { tools } = await agent.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['connect', 'execute_tool', 'get_tool_schema', 'list_connections', 'search_tools']);
    const found = await agent.callTool({ name: 'search_tools', arguments: { query: 'list messages' } });
    assert.equal(found.structuredContent.tools[0].name, 'SANDBOX_LIST_MESSAGES');
    const schema = await agent.callTool({ name: 'get_tool_schema', arguments: { tool_name: 'SANDBOX_LIST_MESSAGES' } });
    assert.deepEqual(schema.structuredContent.input_schema.required, ['limit']);
    const listed = await agent.callTool({ name: 'execute_tool', arguments: { tool_name: 'SANDBOX_LIST_MESSAGES', params: { limit: 5 } } });
    assert.equal(listed.structuredContent.successful, true);
    assert.match(JSON.stringify(listed.structuredContent.data), /from a TypeScript agent/);
    const connections = await agent.callTool({ name: 'list_connections', arguments: {} });
    assert.equal(connections.structuredContent.connections.length, 1);
  } finally {
    await agent.close();
  }

  const other = await connectAgent('router', { bearer: await portal.userToken('ts-bob') });
  try {
    const connections = await other.callTool({ name: 'list_connections', arguments: {} });
    assert.deepEqual(connections.structuredContent.connections, []);
    const run = await other.callTool({ name: 'execute_tool', arguments: { tool_name: 'SANDBOX_LIST_MESSAGES', params: { limit: 5 } } });
    assert.equal(run.structuredContent.error, 'no_connection');
    assert.doesNotMatch(JSON.stringify(run), /from a TypeScript agent/);
  } finally {
    await other.close();
  }
});

test('allow-lists and read-only servers: a tool left out is neither listed nor callable', async () => {
  for (const server of ['lister', 'reader']) {
    const agent = await connectAgent(server, { userId: 'ts-alice' });
    try {
      const names = (await agent.listTools()).tools.map((t) => t.name);
      assert.ok(!names.includes('SANDBOX_SEND_MESSAGE'), `${server} lists ${names}`);
      await assert.rejects(agent.callTool({ name: 'SANDBOX_SEND_MESSAGE', arguments: { to: 'x', text: 'refused' } }), /Unknown tool/);
    } finally {
      await agent.close();
    }
  }
});

test('another app\'s key, or none: the transport is refused with 401/403 and the resource metadata is named', async () => {
  const other = await fetch(`${portal.baseUrl}/mcp/${portal.appId}/assistant`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
  assert.equal(other.status, 401);
  assert.equal(other.headers.get('www-authenticate'),
    `Bearer resource_metadata="${portal.baseUrl}/.well-known/oauth-protected-resource/mcp/${portal.appId}/assistant"`);
  await assert.rejects(connectAgent('assistant', { bearer: 'bb_sk_not-a-real-key', userId: 'ts-alice' }));
  await assert.rejects(connectAgent('assistant', { userId: 'ts-alice', appId: 'app_someoneelse123' }), /403|Forbidden|forbidden/);
});
