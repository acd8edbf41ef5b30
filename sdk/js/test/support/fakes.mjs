// Stand-ins for Google (OAuth 2.0 + OIDC userinfo, Gmail send, Calendar events list) and Slack (OAuth v2,
// auth.test, chat.postMessage) on 127.0.0.1, answering the paths and shapes the real providers use for what the
// Butterbase host calls. The authorize endpoints show no UI: they redirect at once for the "signed-in" account.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';

const token = (prefix) => prefix + randomBytes(18).toString('base64url');
const s256 = (verifier) => createHash('sha256').update(verifier).digest('base64url');

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) return text ? JSON.parse(text) : {};
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  return text;
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function bearer(req) {
  const match = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function basic(req) {
  const match = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return undefined;
  const [id, secret] = Buffer.from(match[1], 'base64').toString('utf8').split(':');
  return { id: decodeURIComponent(id), secret: decodeURIComponent(secret ?? '') };
}

async function listen(handler) {
  const server = http.createServer((req, res) => {
    handler(req, res).catch((e) => send(res, 500, { error: 'fake_crashed', message: String(e?.stack ?? e) }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}

/** Decodes an RFC 5322 message (as Gmail's `raw`): unfolded headers by lower-case name, and the decoded body. */
export function parseMessage(raw) {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  // RFC 5322 says CRLF; Gmail also takes bare LF (which the host's MimeKit writes on Linux), so accept both.
  const blank = /\r?\n\r?\n/.exec(text);
  const head = text.slice(0, blank.index).replace(/\r?\n[ \t]+/g, ' ');
  const headers = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = text.slice(blank.index + blank[0].length);
  const encoding = (headers['content-transfer-encoding'] ?? '').toLowerCase();
  if (encoding === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable')
    body = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  return { headers, body, text };
}

/**
 * Google: authorize (code + PKCE S256, `iss` in the response per RFC 9207), the token endpoint (client_secret_post,
 * PKCE checked), OIDC userinfo, revocation, Gmail `users.messages.send` and Calendar `events.list`.
 * https://developers.google.com/identity/protocols/oauth2/web-server
 */
export async function startGoogle({ clientId = 'google-client-id', clientSecret = 'google-client-secret' } = {}) {
  const issuer = 'https://accounts.google.com';
  const codes = new Map();
  const accessTokens = new Map();
  const state = {
    clientId, clientSecret, issuer,
    /** Callback URLs registered for the client; set once the portal's origin is known. */
    redirectUris: [],
    /** The Google account that is "signed in" at the next authorize. */
    nextEmail: 'alice@gmail.test',
    tokenRequests: [], sentMessages: [], eventsRequests: [], revoked: [],
  };

  const { origin, close } = await listen(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const path = url.pathname;

    if (req.method === 'GET' && path === '/o/oauth2/v2/auth') {
      const q = Object.fromEntries(url.searchParams);
      if (q.client_id !== clientId) return send(res, 401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
      if (!state.redirectUris.includes(q.redirect_uri)) return send(res, 400, { error: 'redirect_uri_mismatch' });
      if (q.response_type !== 'code' || !q.scope || q.code_challenge_method !== 'S256' || !q.code_challenge)
        return send(res, 400, { error: 'invalid_request' });
      const code = token('4/0A');
      codes.set(code, { ...q, email: state.nextEmail });
      const back = new URL(q.redirect_uri);
      back.searchParams.set('state', q.state);
      back.searchParams.set('code', code);
      back.searchParams.set('scope', q.scope);
      back.searchParams.set('authuser', '0');
      back.searchParams.set('prompt', 'consent');
      back.searchParams.set('iss', issuer);
      res.writeHead(302, { Location: back.href });
      return res.end();
    }

    if (req.method === 'POST' && path === '/token') {
      const form = await readBody(req);
      state.tokenRequests.push(form);
      if (form.client_id !== clientId || form.client_secret !== clientSecret)
        return send(res, 401, { error: 'invalid_client', error_description: 'Unauthorized' });
      if (form.grant_type !== 'authorization_code') return send(res, 400, { error: 'unsupported_grant_type' });
      const grant = codes.get(form.code);
      codes.delete(form.code); // single use
      if (!grant || grant.redirect_uri !== form.redirect_uri) return send(res, 400, { error: 'invalid_grant', error_description: 'Bad Request' });
      if (!form.code_verifier || s256(form.code_verifier) !== grant.code_challenge)
        return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid code verifier.' });
      const access = token('ya29.');
      accessTokens.set(access, { email: grant.email, scope: grant.scope });
      return send(res, 200, { access_token: access, expires_in: 3599, refresh_token: token('1//'), scope: grant.scope, token_type: 'Bearer' });
    }

    if (req.method === 'POST' && path === '/revoke') {
      state.revoked.push(await readBody(req));
      return send(res, 200, {});
    }

    const account = accessTokens.get(bearer(req));
    const unauthorized = () => send(res, 401, {
      error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' },
    }, { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' });
    const forbidden = () => send(res, 403, {
      error: { code: 403, message: 'Request had insufficient authentication scopes.', status: 'PERMISSION_DENIED' },
    });

    if (req.method === 'GET' && path === '/v1/userinfo') {
      if (!account) return send(res, 401, { error: 'invalid_request', error_description: 'Invalid Credentials' });
      return send(res, 200, { sub: createHash('sha256').update(account.email).digest('hex').slice(0, 21), email: account.email, email_verified: true });
    }

    if (req.method === 'POST' && path === '/gmail/v1/users/me/messages/send') {
      if (!account) return unauthorized();
      if (!account.scope.split(' ').includes('https://www.googleapis.com/auth/gmail.send')) return forbidden();
      const body = await readBody(req);
      if (typeof body?.raw !== 'string') return send(res, 400, { error: { code: 400, message: "Invalid value for ByteString", status: 'INVALID_ARGUMENT' } });
      const id = randomBytes(8).toString('hex');
      state.sentMessages.push({ from: account.email, id, ...parseMessage(body.raw) });
      return send(res, 200, { id, threadId: id, labelIds: ['SENT'] });
    }

    const events = /^\/calendar\/v3\/calendars\/([^/]+)\/events$/.exec(path);
    if (req.method === 'GET' && events) {
      if (!account) return unauthorized();
      if (!account.scope.split(' ').includes('https://www.googleapis.com/auth/calendar.events')) return forbidden();
      const query = Object.fromEntries(url.searchParams);
      state.eventsRequests.push({ calendarId: decodeURIComponent(events[1]), query, email: account.email });
      if (!query.timeMin) return send(res, 400, { error: { code: 400, message: 'Missing time range', status: 'INVALID_ARGUMENT' } });
      const start = new Date(Date.parse(query.timeMin) + 3_600_000);
      return send(res, 200, {
        kind: 'calendar#events',
        summary: account.email,
        timeZone: 'UTC',
        items: [{
          kind: 'calendar#event', id: 'evt1', status: 'confirmed', summary: 'Standup',
          start: { dateTime: start.toISOString() }, end: { dateTime: new Date(start.getTime() + 900_000).toISOString() },
        }],
      });
    }

    return send(res, 404, { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } });
  });

  return {
    origin, close, state,
    /** Configuration pointing a Google toolkit of the host at this fake. */
    settingsFor(slug) {
      const p = `Butterbase__Toolkits__${slug}__`;
      return {
        [`${p}AuthorizationUrl`]: `${origin}/o/oauth2/v2/auth`,
        [`${p}TokenUrl`]: `${origin}/token`,
        [`${p}UserInfoUrl`]: `${origin}/v1/userinfo`,
        [`${p}RevocationUrl`]: `${origin}/revoke`,
        [`${p}ApiBaseUrl`]: origin,
        [`${p}Issuer`]: issuer,
        [`${p}ClientId`]: clientId,
        [`${p}ClientSecret`]: clientSecret,
      };
    },
  };
}

/**
 * Slack: OAuth v2 (`/oauth/v2/authorize`, `oauth.v2.access` with HTTP Basic client auth answering 200 + ok:false on
 * errors), `auth.test`, `auth.revoke`, and `chat.postMessage` (accepts a channel name like #general or an id).
 * https://docs.slack.dev/authentication/installing-with-oauth, https://docs.slack.dev/reference/methods/chat.postMessage
 */
export async function startSlack({ clientId = '1234567890.0987654321', clientSecret = 'slack-client-secret' } = {}) {
  const team = { id: 'T0FAKETEAM', name: 'Fake Workspace' };
  const channels = [{ id: 'C0GENERAL', name: 'general' }, { id: 'C0RANDOM', name: 'random' }];
  const codes = new Map();
  const botTokens = new Set();
  const state = { redirectUris: [], posted: [], tokenRequests: [], revoked: [] };

  const { origin, close } = await listen(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const path = url.pathname;

    if (req.method === 'GET' && path === '/oauth/v2/authorize') {
      const q = Object.fromEntries(url.searchParams);
      if (q.client_id !== clientId || !state.redirectUris.includes(q.redirect_uri)) {
        res.writeHead(400, { 'Content-Type': 'text/html' });
        return res.end('<p>Something went wrong when authorizing this app: bad client_id or redirect_uri.</p>');
      }
      const code = `${Date.now()}.${randomBytes(8).toString('hex')}`;
      codes.set(code, q);
      const back = new URL(q.redirect_uri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.state);
      res.writeHead(302, { Location: back.href });
      return res.end();
    }

    if (req.method === 'POST' && path === '/api/oauth.v2.access') {
      const form = await readBody(req);
      const client = basic(req) ?? { id: form.client_id, secret: form.client_secret };
      state.tokenRequests.push({ form, basic: !!basic(req) });
      if (client.id !== clientId || client.secret !== clientSecret) return send(res, 200, { ok: false, error: 'invalid_client_id' });
      const grant = codes.get(form.code);
      codes.delete(form.code);
      if (!grant) return send(res, 200, { ok: false, error: 'invalid_code' });
      if (grant.redirect_uri !== form.redirect_uri) return send(res, 200, { ok: false, error: 'bad_redirect_uri' });
      const access = token('xoxb-');
      botTokens.add(access);
      return send(res, 200, {
        ok: true, app_id: 'A0FAKEAPP', authed_user: { id: 'U0INSTALLER' }, scope: grant.scope, token_type: 'bot',
        access_token: access, bot_user_id: 'U0FAKEBOT', team, enterprise: null, is_enterprise_install: false,
      });
    }

    if (path.startsWith('/api/')) {
      const body = req.method === 'POST' ? await readBody(req) : Object.fromEntries(url.searchParams);
      const args = typeof body === 'object' ? body : {};
      if (!botTokens.has(bearer(req))) return send(res, 200, { ok: false, error: 'not_authed' });
      switch (path) {
        case '/api/auth.test':
          return send(res, 200, { ok: true, url: 'https://fakeworkspace.slack.com/', team: team.name, user: 'butterbot', team_id: team.id, user_id: 'U0FAKEBOT', bot_id: 'B0FAKEBOT', is_enterprise_install: false });
        case '/api/auth.revoke':
          state.revoked.push(bearer(req));
          botTokens.delete(bearer(req));
          return send(res, 200, { ok: true, revoked: true });
        case '/api/chat.postMessage': {
          const wanted = String(args.channel ?? '').replace(/^#/, '');
          const channel = channels.find((c) => c.id === wanted || c.name === wanted);
          if (!channel) return send(res, 200, { ok: false, error: 'channel_not_found' });
          if (!args.text) return send(res, 200, { ok: false, error: 'no_text' });
          const ts = `${Math.floor(Date.now() / 1000)}.${String(state.posted.length + 1).padStart(6, '0')}`;
          state.posted.push({ channel: channel.id, requestedChannel: args.channel, text: args.text, ts, contentType: req.headers['content-type'] });
          return send(res, 200, { ok: true, channel: channel.id, ts, message: { type: 'message', user: 'U0FAKEBOT', bot_id: 'B0FAKEBOT', text: args.text, ts } });
        }
        default:
          return send(res, 200, { ok: false, error: 'unknown_method' });
      }
    }
    return send(res, 404, { ok: false, error: 'not_found' });
  });

  return {
    origin, close, state, clientId, clientSecret,
    settingsFor(slug = 'slack') {
      const p = `Butterbase__Toolkits__${slug}__`;
      return {
        [`${p}AuthorizationUrl`]: `${origin}/oauth/v2/authorize`,
        [`${p}TokenUrl`]: `${origin}/api/oauth.v2.access`,
        [`${p}UserInfoUrl`]: `${origin}/api/auth.test`,
        [`${p}RevocationUrl`]: `${origin}/api/auth.revoke`,
        [`${p}ApiBaseUrl`]: `${origin}/api`,
        [`${p}ClientId`]: clientId,
        [`${p}ClientSecret`]: clientSecret,
      };
    },
  };
}
