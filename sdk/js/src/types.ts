// Wire types of the Butterbase Integrations REST API (docs/api.md), typed as the server sends them:
// resource rows are snake_case, action results (connect, connection requests, execute) camelCase.

/** What every SDK call resolves to: exactly one of `data` and `error` is non-null. */
export type Result<T> = { data: T; error: null } | { data: null; error: ButterbaseError };

/** One field the server rejected (422 `invalid_params` / `validation_failed`). */
export interface ErrorDetail {
  field: string;
  message: string;
}

/**
 * An error: from the server's `{ error, message, details? }` body (`code` = its `error`), or made by the SDK
 * when no usable answer came back: `network_error` (unreachable, connection reset), `timeout` (no answer in
 * `timeoutMs`, or `waitForConnection` ran out of time), `invalid_response` (a success status with a body that is
 * not the JSON expected). `status` is the HTTP status, 0 when there was none.
 */
export interface ButterbaseError {
  code: string;
  message: string;
  status: number;
  details?: ErrorDetail[];
}

/** `{ items, total, limit, offset }` — the API's list shape. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export type AuthSchemeType = 'oauth2' | 'api_key' | 'basic' | 'bearer';

/** A catalog entry (`GET /available`). */
export interface Toolkit {
  slug: string;
  name: string;
  description: string;
  categories: string[];
  logo_url: string;
  auth_schemes: AuthSchemeType[];
  tool_count: number;
  curated: boolean;
  /** Configured and enabled for this app. */
  enabled: boolean;
}

export interface ToolkitScope {
  name: string;
  description: string;
}

export interface ToolkitAuthScheme {
  type: AuthSchemeType;
  scopes: ToolkitScope[];
  default_scopes: string[];
  pkce: boolean;
  refresh: boolean;
  authorization_url: string | null;
  token_url: string | null;
  /** api_key: `header` or `query`. */
  in: string | null;
  /** api_key: the header or query parameter name. */
  name: string | null;
}

export interface ToolkitField {
  name: string;
  label: string;
  required: boolean;
  secret: boolean;
}

/** One toolkit with its auth details (`GET /available/{toolkit}`). */
export interface ToolkitDetail extends Toolkit {
  api_base_url: string;
  auth: {
    default_scheme: AuthSchemeType;
    schemes: ToolkitAuthScheme[];
    fields: ToolkitField[];
  };
  origin: {
    source: string;
    api: string | null;
    version: string | null;
    license: { name: string; url: string | null } | null;
  } | null;
}

/** A tool (`GET /tools?toolkit=`); `parameters` is a JSON Schema object. */
export interface Tool {
  name: string;
  toolkit: string;
  display_name: string;
  description: string;
  parameters: Record<string, unknown>;
  response: Record<string, unknown> | null;
  scopes: string[];
  deprecated: boolean;
}

/** A toolkit's configuration for the app (`POST /configure`, `GET /configure`). */
export interface ToolkitConfig {
  id: string;
  app_id: string;
  toolkit_slug: string;
  enabled: boolean;
  display_name: string;
  scopes: string[];
  auth_scheme: AuthSchemeType;
  /** `managed`: the platform's OAuth client; `custom`: the app's own. */
  credentials: 'managed' | 'custom';
  created_at: string;
  updated_at: string;
}

export interface ConfigureOptions {
  displayName?: string;
  /** Empty or absent: the toolkit's default scopes. */
  scopes?: string[];
  authScheme?: AuthSchemeType;
  /** Your own OAuth client instead of the platform-managed one (the secret is write-only). */
  credentials?: { clientId: string; clientSecret: string };
}

export interface ConfigList {
  items: ToolkitConfig[];
}

/** `POST /connect`: send the end user to `authUrl`. */
export interface ConnectResult {
  authUrl: string;
  connectionRequestId: string;
}

export interface ConnectOptions {
  /** Where the end user lands afterwards; one of the app's allowed redirect URLs. */
  redirectUrl: string;
  /** Re-authorise this existing connection in place. */
  connectionId?: string;
  /** The end user, when calling with the API key (what `asUser(userId).connect` sends). */
  userId?: string;
}

export type ConnectionRequestStatus = 'initiated' | 'connected' | 'failed' | 'expired';

/** `GET /connection-requests/{id}`. */
export interface ConnectionRequest {
  id: string;
  status: ConnectionRequestStatus;
  /** Set once `status` is `connected`. */
  connectionId: string | null;
  /** Why it failed, e.g. `access_denied`. */
  error: string | null;
}

export type ConnectionStatus = 'active' | 'expired' | 'failed';

/** A connected account (`GET /connections`). Tokens never appear. */
export interface Connection {
  id: string;
  app_id: string;
  user_id: string;
  toolkit_slug: string;
  status: ConnectionStatus;
  account_label: string | null;
  scopes: string[];
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

export interface ConnectionFilter {
  toolkit?: string;
  status?: ConnectionStatus;
  /** API key only: one end user's connections. */
  userId?: string;
  limit?: number;
  offset?: number;
}

export interface ExecuteOptions {
  /** Picks one account when the user has several for the toolkit. */
  connectionId?: string;
  /** A repeat with the same key (same user and tool, within 24 h) returns the first result. */
  idempotencyKey?: string;
  /** The end user, when calling with the API key (what `asUser(userId)` sends). */
  userId?: string;
}

/** Why a provider call that happened did not succeed. */
export interface ExecuteError {
  code: 'upstream_error' | 'rate_limited' | 'timeout' | 'insufficient_scope' | 'unauthorized' | (string & {});
  message: string;
  retryable: boolean;
  retryAfterMs: number | null;
  upstreamStatus: number | null;
}

/** `POST /execute`: `successful: false` when the provider answered with a failure. */
export interface ExecuteResult<TData = any> {
  successful: boolean;
  data: TData;
  error?: ExecuteError | null;
  executionId: string;
}

/** HTTP methods the proxy sends. */
export type ProxyMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A query value: repeated for arrays (`?id=1&id=2`); null/undefined leave the name out. */
export type ProxyQueryValue = string | number | boolean | null | undefined | Array<string | number | boolean>;

/** `POST /integrations/proxy`: a request to any endpoint of a connected provider, with the connection's credentials. */
export interface ProxyRequest {
  /** The toolkit (e.g. `github`); or give `connectionId` alone. */
  toolkit?: string;
  /** One of the user's connections (its toolkit is implied). */
  connectionId?: string;
  /** The end user, when calling with the API key (a user's JWT acts for its own user). */
  userId?: string;
  method: ProxyMethod;
  /**
   * Relative to the toolkit's API base (`/user/repos`), or an absolute URL with the API base's scheme, host and port
   * (a provider's paging link). `..`, `//host`, backslashes and control characters are refused.
   */
  path: string;
  query?: Record<string, ProxyQueryValue>;
  /**
   * Allow-listed headers only (Accept, Content-Type, If-None-Match, Prefer, X-GitHub-Api-Version, Notion-Version, …).
   * Authorization, Cookie, Host, Proxy-* and trace context are refused: credentials come from the connection.
   */
  headers?: Record<string, string>;
  /** A JSON value (sent as JSON) or a string (sent as it is, `Content-Type` from `headers` or text/plain). */
  body?: unknown;
}

/** The provider's answer, passed through. */
export interface ProxyResponse<TBody = any> {
  /** The provider's status: a 404 or 500 from the provider is here, not in `error`. */
  status: number;
  /** The provider's headers that are passed on (lower-case names; never Set-Cookie). */
  headers: Record<string, string>;
  /** Parsed JSON when the answer is JSON, its text when it is text, else null (see `bodyBase64`). */
  body: TBody | string | null;
  /** A binary answer, base64-encoded. */
  bodyBase64?: string;
  executionId: string;
}

export interface SearchOptions {
  search?: string;
  category?: string;
  authScheme?: AuthSchemeType;
  limit?: number;
  offset?: number;
}

export interface ToolsOptions {
  search?: string;
  limit?: number;
  offset?: number;
}

export interface WaitOptions {
  /** Give up after this long (default 120 000 ms): resolves with error code `timeout`. */
  timeoutMs?: number;
  /** Time between polls (default 1 000 ms). */
  intervalMs?: number;
}

export interface Disconnected {
  id: string;
  disconnected: true;
}

/** A deployed function (`GET /functions/{name}`): environment variable names only, never their values. */
export interface FunctionRow {
  id: string;
  name: string;
  env_vars: string[];
  timeout_ms: number;
  version: number;
  created_at: string;
  updated_at: string;
  /** Only on the single-function read. */
  code: string | null;
}

/** `bb.functions.deploy(…)`: a new name creates the function, an existing one is redeployed (version + 1). */
export interface FunctionDeploy {
  name: string;
  code: string;
  /** Replaces every variable; left out, the ones already set stay. */
  envVars?: Record<string, string>;
  timeoutMs?: number;
}

export type InvocationOutcome = 'ok' | 'error' | 'timeout' | 'limit' | 'crashed';

/** What started an invocation: an HTTP call, a schedule, or the portal's test run. */
export type InvocationTrigger = 'http' | 'schedule' | 'test';

/** One cron schedule of a function, as `PUT /functions/{name}/schedules` takes it. */
export interface FunctionScheduleInput {
  /** Five fields, minute first: `"0 9 * * 1-5"` is 09:00 on weekdays. */
  cron: string;
  /** IANA time zone the cron is read in; default `"UTC"`. */
  timeZone?: string;
  /** `ctx.user` of each run; omit or null for service rights (`ctx.integrations.asUser(id)` works). */
  runAs?: string | null;
  /** `ctx.body` of each run. */
  body?: unknown;
  /** `false` pauses the schedule; default true. */
  enabled?: boolean;
}

/** A stored schedule (`GET /functions/{name}/schedules`). */
export interface FunctionSchedule {
  id: string;
  cron: string;
  timeZone: string;
  runAs: string | null;
  body: unknown;
  enabled: boolean;
  /** Null while paused. */
  next_run_at: string | null;
}

/** One run of a function (`GET /functions/{name}/invocations`). */
export interface FunctionInvocation {
  id: string;
  function_name: string;
  user_id: string | null;
  outcome: InvocationOutcome;
  http_status: number;
  duration_ms: number;
  error: string | null;
  logs: { level: string; message: string }[];
  created_at: string;
  trigger: InvocationTrigger;
}

export interface Deleted {
  name: string;
  deleted: true;
}
