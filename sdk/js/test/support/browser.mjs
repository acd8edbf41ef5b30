// What an end user's browser does during a connect flow, with fetch: follow redirects by hand, keep cookies per
// origin, read and submit the Sandbox's server-rendered consent form.
import http from 'node:http';

export class Browser {
  /** origin → (cookie name → value) */
  #jar = new Map();
  /** Every URL visited, in order. */
  visited = [];

  #cookieHeader(url) {
    const cookies = this.#jar.get(new URL(url).origin);
    return cookies && cookies.size ? [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  #store(url, response) {
    const origin = new URL(url).origin;
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      if (!this.#jar.has(origin)) this.#jar.set(origin, new Map());
      this.#jar.get(origin).set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  /** One request, no redirect following. */
  async request(url, init = {}) {
    const headers = { ...init.headers };
    const cookie = this.#cookieHeader(url);
    if (cookie) headers.Cookie = cookie;
    this.visited.push(url);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.#store(url, response);
    return response;
  }

  /**
   * Requests `url` and follows redirects (GET) until a page that is not a redirect, or until a redirect to a URL
   * starting with `stopBefore` (an app origin the test cannot reach): then `url` is that location, not visited.
   */
  async navigate(url, init = {}, { stopBefore } = {}) {
    let response = await this.request(url, init);
    for (let hops = 0; response.status >= 300 && response.status < 400; hops++) {
      if (hops > 10) throw new Error('Too many redirects');
      url = new URL(response.headers.get('location'), url).href;
      await response.arrayBuffer();
      if (stopBefore && url.startsWith(stopBefore)) return { response, url, html: '' };
      response = await this.request(url);
    }
    return { response, url, html: await response.text() };
  }
}

const entities = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
export function decodeHtml(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name) => {
    if (name[0] === '#') return String.fromCodePoint(name[1].toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10));
    return entities[name.toLowerCase()] ?? whole;
  });
}

function attribute(tag, name) {
  const match = tag.match(new RegExp(`\\s${name}="([^"]*)"`, 'i'));
  return match ? decodeHtml(match[1]) : undefined;
}

/** The first `<form>` of a page: its action (absolute), method and hidden fields. */
export function parseForm(html, pageUrl) {
  const form = html.match(/<form\b[^>]*>([\s\S]*?)<\/form>/i);
  if (!form) throw new Error(`No form on ${pageUrl}:\n${html.slice(0, 500)}`);
  const open = form[0].slice(0, form[0].indexOf('>') + 1);
  const fields = [];
  for (const input of form[1].match(/<input\b[^>]*>/gi) ?? []) {
    if (attribute(input, 'type') !== 'hidden') continue;
    fields.push([attribute(input, 'name'), attribute(input, 'value') ?? '']);
  }
  const buttons = (form[1].match(/<button\b[^>]*>/gi) ?? []).map((b) => ({ name: attribute(b, 'name'), value: attribute(b, 'value') }));
  const email = (form[1].match(/<input\b[^>]*>/gi) ?? []).find((i) => attribute(i, 'type') === 'email');
  return {
    action: new URL(attribute(open, 'action') ?? pageUrl, pageUrl).href,
    method: (attribute(open, 'method') ?? 'get').toUpperCase(),
    fields,
    buttons,
    emailField: email && attribute(email, 'name'),
  };
}

/**
 * Drives the built-in Sandbox provider from `authUrl` to the app's redirect URL: the consent page (antiforgery
 * field + cookie), Allow or Deny with an email, the OAuth callback, then the app's page.
 * Returns the final URL the browser landed on and the consent form it saw.
 */
export async function consentAtSandbox(authUrl, { email = 'alice@sandbox.test', decision = 'allow' } = {}) {
  const browser = new Browser();
  const consent = await browser.navigate(authUrl);
  if (consent.response.status !== 200) throw new Error(`Consent page answered ${consent.response.status}: ${consent.html.slice(0, 300)}`);
  const form = parseForm(consent.html, consent.url);
  const button = form.buttons.find((b) => b.value === decision);
  if (!button) throw new Error(`No ${decision} button on the consent page`);
  const body = new URLSearchParams(form.fields);
  body.set(form.emailField, email);
  body.set(button.name, button.value);
  const done = await browser.navigate(form.action, {
    method: form.method,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  });
  return { ...done, form, visited: browser.visited };
}

/** Follows an OAuth provider's authorize URL (a fake that redirects at once) through the callback to the app. */
export async function followAuthUrl(authUrl, options) {
  const browser = new Browser();
  const done = await browser.navigate(authUrl, {}, options);
  return { ...done, visited: browser.visited };
}

/** The app's own page behind its allowed redirect URL: records each landing's query. */
export async function startAppSite() {
  const landings = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    landings.push(Object.fromEntries(url.searchParams));
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!DOCTYPE html><title>Connected</title><p>Back in the app.</p>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    redirectUrl: `${origin}/done`,
    landings,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
