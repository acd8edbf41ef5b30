import type {
  Deleted, FunctionDeploy, FunctionInvocation, FunctionRow, FunctionSchedule, FunctionScheduleInput,
  ButterbaseError, ConfigList, ConfigureOptions, Connection, ConnectionFilter, ConnectionRequest, ConnectOptions,
  ConnectResult, Disconnected, ErrorDetail, ExecuteOptions, ExecuteResult, Page, ProxyRequest, ProxyResponse, Result, SearchOptions, Tool, Toolkit,
  ToolkitConfig, ToolkitDetail, ToolsOptions, WaitOptions,
} from './types.js';

export type * from './types.js';
export { verifyWebhook } from './webhooks.js';
export type { WebhookEvent, WebhookHeaders } from './webhooks.js';

export const DEFAULT_BASE_URL = 'http://localhost:5080';

export interface ButterbaseOptions {
  /** `app_…`, from the portal or `apps create`. */
  appId: string;
  /** The app's API key `bb_sk_…`: admin rights; keep it on your server. */
  apiKey?: string;
  /** An end user's JWT (from `POST /v1/{appId}/auth/user-token` or your own identity provider). */
  accessToken?: string;
  /** Origin of the Butterbase host (default http://localhost:5080). */
  baseUrl?: string;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** Per-request timeout (default 30 000 ms); a request over it resolves with error code `timeout`. */
  timeoutMs?: number;
}

type Query = Record<string, string | number | undefined | null>;

interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** A success body that is not JSON comes back as its text (a function's own answer) instead of `invalid_response`. */
  textOk?: boolean;
}

// The HTTP layer: one request in, one `{ data, error }` out; it never throws for HTTP or network failures.
/** @internal The HTTP layer; use {@link Butterbase}. */
export class Transport {
  readonly appId: string;
  readonly baseUrl: string;
  private readonly credential: string | undefined;
  private readonly fetchImpl: typeof globalThis.fetch | undefined;
  private readonly timeoutMs: number;

  constructor(options: ButterbaseOptions) {
    if (!options || typeof options.appId !== 'string' || options.appId.length === 0)
      throw new TypeError('new Butterbase({ appId, apiKey | accessToken, baseUrl }): appId is required.');
    this.appId = options.appId;
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.credential = options.apiKey ?? options.accessToken;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  url(path: string, query?: Query): string {
    let url = `${this.baseUrl}/v1/${encodeURIComponent(this.appId)}${path}`;
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {}))
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    const qs = params.toString();
    if (qs) url += `?${qs}`;
    return url;
  }

  async send<T>(spec: RequestSpec): Promise<Result<T>> {
    if (typeof this.fetchImpl !== 'function')
      return fail('network_error', 'No fetch implementation: pass one as new Butterbase({ fetch }).', 0);
    const headers: Record<string, string> = { Accept: 'application/json', ...spec.headers };
    if (this.credential) headers.Authorization = `Bearer ${this.credential}`;
    let body: string | undefined;
    if (spec.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(spec.body);
    }

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, this.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(this.url(spec.path, spec.query), {
        method: spec.method, headers, body, signal: controller.signal, redirect: 'manual',
      });
      text = await response.text();
    } catch (e) {
      return timedOut
        ? fail('timeout', `No answer from ${this.baseUrl} within ${this.timeoutMs} ms.`, 0)
        : fail('network_error', `Could not reach ${this.baseUrl}: ${describe(e)}`, 0);
    } finally {
      clearTimeout(timer);
    }

    const parsed = parseJson(text);
    if (!response.ok) return fail(...errorFrom(response, text, parsed));
    if (response.status === 204) return { data: null as T, error: null };
    if (parsed === undefined && spec.textOk) return { data: text as T, error: null };
    if (parsed === undefined)
      return fail('invalid_response', `Expected JSON from ${spec.method} ${spec.path}, got ${snippet(text) || 'an empty body'}.`, response.status);
    return { data: parsed as T, error: null };
  }
}

function fail(code: string, message: string, status: number, details?: ErrorDetail[]): { data: null; error: ButterbaseError } {
  const error: ButterbaseError = { code, message, status };
  if (details) error.details = details;
  return { data: null, error };
}

function errorFrom(response: Response, text: string, parsed: unknown): [string, string, number, ErrorDetail[]?] {
  const status = response.status;
  if (parsed && typeof parsed === 'object' && typeof (parsed as any).error === 'string') {
    const body = parsed as { error: string; message?: unknown; details?: unknown };
    const details = Array.isArray(body.details)
      ? body.details.filter((d): d is ErrorDetail => !!d && typeof d === 'object').map((d) => ({ field: String(d.field ?? ''), message: String(d.message ?? '') }))
      : undefined;
    return [body.error, typeof body.message === 'string' ? body.message : `HTTP ${status}`, status, details];
  }
  // Not the API's error body (a proxy's HTML page, an empty 502, …): keep what can be learnt from it.
  const reason = snippet(text);
  return [codeForStatus(status), `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ''}${reason ? `: ${reason}` : ''}`, status];
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400: return 'bad_request';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 409: return 'conflict';
    case 413: return 'payload_too_large';
    case 422: return 'validation_failed';
    case 429: return 'rate_limited';
    default: return status >= 500 ? 'server_error' : 'http_error';
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try { return JSON.parse(text); } catch { return undefined; }
}

function snippet(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? cause.message : cause && typeof cause === 'object' && 'code' in cause ? String((cause as any).code) : '';
    return detail ? `${e.message} (${detail})` : e.message;
  }
  return String(e);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Tools run as one named end user, with the app's API key (cron jobs, webhooks, your backend). */
export interface UserScope {
  readonly userId: string;
  execute<TData = any>(toolName: string, params?: Record<string, unknown>, options?: Omit<ExecuteOptions, 'userId'>): Promise<Result<ExecuteResult<TData>>>;
  connect(toolkit: string, options: Omit<ConnectOptions, 'userId'>): Promise<Result<ConnectResult>>;
  listConnections(filter?: Omit<ConnectionFilter, 'userId'>): Promise<Result<Page<Connection>>>;
  proxy<TBody = any>(request: Omit<ProxyRequest, 'userId'>): Promise<Result<ProxyResponse<TBody>>>;
}

/** `bb.integrations`: the `/v1/{appId}/integrations` API. */
export class Integrations {
  readonly #http: Transport;

  constructor(http: Transport) {
    this.#http = http;
  }

  /** Admin (API key): enable or update a toolkit for the app (`POST /configure`). */
  configure(toolkit: string, options: ConfigureOptions = {}): Promise<Result<ToolkitConfig>> {
    return this.#http.send({ method: 'POST', path: '/integrations/configure', body: { toolkit, ...options } });
  }

  /** Admin (API key): disable a toolkit; its connections are kept (`DELETE /configure/{toolkit}`). */
  disableToolkit(toolkit: string): Promise<Result<ToolkitConfig>> {
    return this.#http.send({ method: 'DELETE', path: `/integrations/configure/${encodeURIComponent(toolkit)}` });
  }

  /** The app's configured toolkits (`GET /configure`). */
  getConfig(): Promise<Result<ConfigList>> {
    return this.#http.send({ method: 'GET', path: '/integrations/configure' });
  }

  /** Search the catalog (`GET /available`): a search string, or the full set of filters. */
  available(search?: string | SearchOptions): Promise<Result<Page<Toolkit>>> {
    const query = typeof search === 'string' || search === undefined ? { search } : { ...search };
    return this.#http.send({ method: 'GET', path: '/integrations/available', query });
  }

  /** One toolkit with its auth details (`GET /available/{toolkit}`). */
  toolkit(slug: string): Promise<Result<ToolkitDetail>> {
    return this.#http.send({ method: 'GET', path: `/integrations/available/${encodeURIComponent(slug)}` });
  }

  /** A toolkit's tools with their parameter schemas (`GET /tools?toolkit=`). */
  tools(toolkit: string, options: ToolsOptions = {}): Promise<Result<Page<Tool>>> {
    return this.#http.send({ method: 'GET', path: '/integrations/tools', query: { toolkit, ...options } });
  }

  /**
   * Start connecting an end user (`POST /connect`): send them to `authUrl`. With a user's JWT it is that user;
   * with the API key name the user (`userId`, or `asUser(userId).connect`).
   */
  connect(toolkit: string, options: ConnectOptions): Promise<Result<ConnectResult>> {
    const { redirectUrl, connectionId, userId } = options ?? ({} as ConnectOptions);
    return this.#http.send({ method: 'POST', path: '/integrations/connect', body: { toolkit, redirectUrl, connectionId, userId } });
  }

  /** Where a connect flow stands (`GET /connection-requests/{id}`). */
  getConnectionRequest(id: string): Promise<Result<ConnectionRequest>> {
    return this.#http.send({ method: 'GET', path: `/integrations/connection-requests/${encodeURIComponent(id)}` });
  }

  /**
   * Polls the connection request until it is no longer `initiated`, then resolves with it (`connected` with its
   * `connectionId`, or `failed`/`expired` with `error`). Out of time: error code `timeout`. A failed poll
   * (401, 404, network) resolves with that error at once.
   */
  async waitForConnection(requestId: string, options: WaitOptions = {}): Promise<Result<ConnectionRequest>> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const intervalMs = Math.max(10, options.intervalMs ?? 1_000);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await this.getConnectionRequest(requestId);
      if (result.error || result.data.status !== 'initiated') return result;
      const left = deadline - Date.now();
      if (left <= 0)
        return fail('timeout', `Connection request ${requestId} was still pending after ${timeoutMs} ms.`, 0);
      await sleep(Math.min(intervalMs, left));
    }
  }

  /** Connected accounts (`GET /connections`): a user's own with a JWT, the whole app's with the API key. */
  listConnections(filter: ConnectionFilter = {}): Promise<Result<Page<Connection>>> {
    return this.#http.send({ method: 'GET', path: '/integrations/connections', query: { ...filter } });
  }

  /** One connection (`GET /connections/{id}`). */
  getConnection(id: string): Promise<Result<Connection>> {
    return this.#http.send({ method: 'GET', path: `/integrations/connections/${encodeURIComponent(id)}` });
  }

  /** Delete a connection and revoke its token at the provider (`DELETE /connections/{id}`). */
  async disconnect(id: string): Promise<Result<Disconnected>> {
    const result = await this.#http.send<null>({ method: 'DELETE', path: `/integrations/connections/${encodeURIComponent(id)}` });
    return result.error ? result : { data: { id, disconnected: true }, error: null };
  }

  /**
   * Run a tool (`POST /execute`) as the calling user (JWT), or as `options.userId` with the API key. A provider
   * failure is `data.successful === false` with `data.error`; a request the host refuses is `error`.
   */
  execute<TData = any>(toolName: string, params: Record<string, unknown> = {}, options: ExecuteOptions = {}): Promise<Result<ExecuteResult<TData>>> {
    const { connectionId, idempotencyKey, userId } = options;
    return this.#http.send({
      method: 'POST',
      path: '/integrations/execute',
      body: { toolName, params, connectionId, userId },
      headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : undefined,
    });
  }

  /**
   * Call any endpoint of a connected provider (`POST /proxy`) with the connection's credentials: for what no tool
   * covers. The provider's own status is `data.status` (a provider 404 is data, not `error`); a request the host
   * refuses (`invalid_request` for a path leaving the API base or a forbidden header, `no_connection`, …) is `error`.
   */
  proxy<TBody = any>(request: ProxyRequest): Promise<Result<ProxyResponse<TBody>>> {
    const { toolkit, connectionId, userId, method, path, query, headers, body } = request ?? ({} as ProxyRequest);
    return this.#http.send({ method: 'POST', path: '/integrations/proxy', body: { toolkit, connectionId, userId, method, path, query, headers, body } });
  }

  /** Act for one end user with service rights (API key): sends `userId` with each call. */
  asUser(userId: string): UserScope {
    return {
      userId,
      execute: (toolName, params, options) => this.execute(toolName, params, { ...options, userId }),
      connect: (toolkit, options) => this.connect(toolkit, { ...options, userId }),
      listConnections: (filter) => this.listConnections({ ...filter, userId }),
      proxy: (request) => this.proxy({ ...request, userId }),
    };
  }
}

/** `bb.functions`: deploy JavaScript handlers (API key) and invoke them (`POST /v1/{appId}/fn/{name}`, any credential). */
export class Functions {
  readonly #http: Transport;

  constructor(http: Transport) {
    this.#http = http;
  }

  /** Deploy or redeploy (`POST /functions`): 201 for a new name, 200 with version + 1 for an existing one. */
  deploy(fn: FunctionDeploy): Promise<Result<FunctionRow>> {
    return this.#http.send({ method: 'POST', path: '/functions', body: fn });
  }

  list(): Promise<Result<Page<FunctionRow>>> {
    return this.#http.send({ method: 'GET', path: '/functions' });
  }

  /** One function with its code. */
  get(name: string): Promise<Result<FunctionRow>> {
    return this.#http.send({ method: 'GET', path: `/functions/${encodeURIComponent(name)}` });
  }

  async delete(name: string): Promise<Result<Deleted>> {
    const result = await this.#http.send<null>({ method: 'DELETE', path: `/functions/${encodeURIComponent(name)}` });
    return result.error ? result : { data: { name, deleted: true }, error: null };
  }

  /** The newest runs first, with their console output. */
  invocations(name: string, page: { limit?: number; offset?: number } = {}): Promise<Result<Page<FunctionInvocation>>> {
    return this.#http.send({ method: 'GET', path: `/functions/${encodeURIComponent(name)}/invocations`, query: page });
  }

  /** The function's cron schedules with their next run (`GET /functions/{name}/schedules`). */
  schedules(name: string): Promise<Result<FunctionSchedule[]>> {
    return this.#http.send({ method: 'GET', path: `/functions/${encodeURIComponent(name)}/schedules` });
  }

  /**
   * Replace the function's schedules with `schedules` (`PUT /functions/{name}/schedules`) and get the stored list back.
   * `cron` has five fields (minute first), `timeZone` is IANA (default UTC), `runAs` is `ctx.user` of each run (omit it for
   * service rights), `enabled: false` pauses. A bad cron or time zone is `error.code === 'validation_failed'` with details.
   * A list from `schedules()` can be passed back as is (ids and next_run_at are ignored). `[]` removes them all.
   */
  setSchedules(name: string, schedules: FunctionScheduleInput[]): Promise<Result<FunctionSchedule[]>> {
    return this.#http.send({ method: 'PUT', path: `/functions/${encodeURIComponent(name)}/schedules`, body: schedules });
  }

  /**
   * Run a function with `body` as `ctx.body`: as the calling user with a user token (`ctx.user`), with service rights
   * with the API key. `data` is what the handler returned (parsed JSON, its text, or null for nothing); a thrown error,
   * a timeout or a limit is `error` (`function_error`, `function_timeout`, `function_limit_exceeded`).
   */
  invoke<TData = any>(name: string, body?: unknown): Promise<Result<TData>> {
    return this.#http.send({ method: 'POST', path: `/fn/${encodeURIComponent(name)}`, body: body ?? {}, textOk: true });
  }
}

/** The Butterbase client: `new Butterbase({ appId, apiKey | accessToken, baseUrl })`. */
export class Butterbase {
  readonly appId: string;
  readonly baseUrl: string;
  readonly integrations: Integrations;
  readonly functions: Functions;

  constructor(options: ButterbaseOptions) {
    const http = new Transport(options);
    this.appId = http.appId;
    this.baseUrl = http.baseUrl;
    this.integrations = new Integrations(http);
    this.functions = new Functions(http);
  }
}

export default Butterbase;
