using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Butterbase.Portal.Api;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Telemetry;
using Butterbase.Portal.Toolkits;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Execution;

/// <summary>The `POST /execute` result envelope.</summary>
public sealed record ExecuteResult(bool Successful, JsonNode? Data, ExecuteError? Error, string ExecutionId);

/// <param name="MissingScopes">On insufficient_scope: the scopes to ask for (one of them is enough).</param>
/// <param name="ReconnectUrl">On insufficient_scope: a connect link that reconnects asking for the first of them.</param>
public sealed record ExecuteError(string Code, string Message, bool Retryable, long? RetryAfterMs, int? UpstreamStatus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? MissingScopes = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReconnectUrl = null);

/// <summary>
/// Runs a tool for an end user: validate, pick the connection, get fresh credentials, call the provider
/// (declaratively or through the tool's <see cref="CodedTool"/>), force one refresh and retry once on a 401,
/// and log the run. Expected failures come back as <see cref="ApiError"/>s, never exceptions.
/// </summary>
public sealed class ToolRunner(
    IDbContextFactory<PortalDb> dbFactory, ToolkitCatalog catalog, ToolkitConfigs configs, ToolParameters parameters,
    OAuthProviders providers, CredentialProtector protector, TokenRefresher refresher, IHttpClientFactory httpClientFactory,
    IEnumerable<CodedTool> codedTools, ExecutionLog log, ConnectionCache connections, ConnectionLifecycle lifecycle,
    Webhooks.WebhookOutbox outbox, ConnectLinks links, TimeProvider clock)
{
    public const string HttpClientName = "execution";
    private readonly Dictionary<string, CodedTool> _coded = codedTools.SelectMany(t => t.Names.Select(n => (n, t))).ToDictionary(p => p.n, p => p.t);

    /// <param name="Source">Who asked (<see cref="ExecutionSources"/>), as the executions log shows it.</param>
    public sealed record Call(string AppId, string UserId, string ToolName, JsonElement? Params, string? ConnectionId, string Origin,
        string Source = ExecutionSources.Api);

    public async Task<(ExecuteResult? Result, ApiError? Error, int Status)> ExecuteAsync(Call call, CancellationToken ct)
    {
        using var span = PortalTelemetry.Source.StartActivity("execute");
        var started = Stopwatch.GetTimestamp();
        var found = catalog.FindTool(call.ToolName); // once per call: the run and the telemetry below both use it
        var done = await RunAsync(call, found, ct);
        var outcome = done.Error?.Error ?? done.Result?.Error?.Code ?? "ok";
        var toolkit = found?.Toolkit.Slug ?? "";
        PortalTelemetry.Executions.Add(1, new("toolkit", toolkit), new("source", call.Source), new("outcome", outcome));
        PortalTelemetry.ExecutionDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new("toolkit", toolkit), new("source", call.Source));
        if (span is not null)
        {
            // Names, ids and codes only (docs/architecture.md "Telemetry"); the tool name is the caller's text until found.
            span.SetTag("butterbase.app_id", call.AppId).SetTag("butterbase.tool", call.ToolName.Length <= 128 ? call.ToolName : call.ToolName[..128])
                .SetTag("butterbase.toolkit", toolkit).SetTag("butterbase.source", call.Source).SetTag("butterbase.outcome", outcome)
                .SetTag("butterbase.execution_id", done.Result?.ExecutionId);
            if (outcome != "ok") span.SetStatus(ActivityStatusCode.Error, outcome);
        }
        return done;
    }

    private async Task<(ExecuteResult? Result, ApiError? Error, int Status)> RunAsync(
        Call call, (ToolDefinition Tool, Toolkit Toolkit)? found, CancellationToken ct)
    {
        if (found is not { } f) return Fail(404, "unknown_tool", $"There is no tool '{call.ToolName}'. List tools with GET /tools?toolkit=….");
        var (tool, toolkit) = f;
        var state = await configs.StateAsync(call.AppId, toolkit.Slug, ct);
        if (state == ToolkitConfigs.ToolkitState.NotConfigured) return Fail(409, "toolkit_not_enabled", $"Enable {toolkit.Name} for this app first (POST /configure).");
        if (state == ToolkitConfigs.ToolkitState.Disabled) return Fail(409, "toolkit_disabled", $"{toolkit.Name} is disabled for this app.");

        // The API and ctx.integrations both come through here: text that is not valid Unicode is the caller's error. It
        // passes the JSON reader and the schema, and fails only when written out to the provider or the log.
        if (call.Params is { } given && !ToolParameters.IsValidUnicode(given))
            return Fail(400, "invalid_json", "params holds text that is not valid Unicode (malformed UTF-8 or a lone surrogate such as \\ud800).");
        var (validated, problems) = parameters.Validate(toolkit, tool, call.Params);
        if (validated is null) return (null, new ApiError("invalid_params", "The parameters do not match the tool's schema: see details.", problems), 422);

        var (ready, problem, problemStatus) = await PrepareAsync(call.AppId, call.UserId, toolkit, call.ConnectionId, call.Origin, ct);
        if (problem is not null) return (null, problem, problemStatus);
        var connection = ready!.Connection;
        // Before any call: a scope the connection was never granted would only earn the provider's 403 (docs/architecture.md
        // "Scopes per tool"). The answer names the scopes and links to a consent that asks for them.
        if (ToolScopes.Missing(tool, connection.Scopes) is { } missing)
        {
            await lifecycle.ScopeInsufficientAsync(dbFactory, connection, $"{tool.Name}: the connection lacks {string.Join(" or ", missing)}.", CancellationToken.None);
            return (null, new ApiError("insufficient_scope",
                $"{tool.Name} needs the {toolkit.Name} scope {missing[0]}{(missing.Count > 1 ? $" (or one of {string.Join(", ", missing.Skip(1))})" : "")}, "
                + "which this connection was not granted: send the user to reconnect_url to grant it, then retry.",
                missing.Select(s => new ApiErrorDetail("scope", s)).ToList(), ReconnectUrl(call, toolkit, connection, missing.Take(1))), 403);
        }
        var started = Stopwatch.GetTimestamp();
        var executionId = Ids.New("ex_", 20);
        if (ready.RefreshFailed is { } refreshFailed)
            return await DoneAsync(call, toolkit, tool, connection, executionId, started, refreshFailed, null, null, null);

        var apiBase = providers.ApiBaseUrl(toolkit, tool, call.Origin);
        // A coded tool's own refusal (a shared credential outside what this connection is bound to) is decided once,
        // before any send: it does not depend on the user's token, so not again after a refresh-and-retry.
        var coded = _coded.GetValueOrDefault(tool.Name);
        if (coded is not null && await coded.RefuseAsync(validated, ready.Credentials, apiBase, httpClientFactory.CreateClient(HttpClientName), ct) is { } refusal)
            return Fail(403, "forbidden", refusal);
        var (sent, expired) = await SendWithRetryAsync(ready, call.Origin,
            credentials => SendAsync(toolkit, tool, validated, credentials, apiBase, ct), s => s.Status == 401, ct);
        if (expired) return Fail(409, "connection_expired", Expired(toolkit, connection));
        if (sent.Invalid is ConnectionIncomplete incomplete)
            return (null, new ApiError("connection_incomplete", incomplete.Message, [new ApiErrorDetail(incomplete.Field, incomplete.Message)]), 409);
        if (sent.Invalid is { } invalid)
            return (null, new ApiError("invalid_params", "The parameters cannot be sent to the provider: see details.", [new ApiErrorDetail(invalid.Field, invalid.Message)]), 422);
        return await DoneAsync(call, toolkit, tool, connection, executionId, started, sent.Outcome!, sent.Status, sent.RetryAfterMs, sent.Request);
    }

    /// <summary>
    /// A connection chosen for a call, with credentials fresh enough to send (<see cref="RefreshFailed"/>: the proactive
    /// refresh failed for a reason other than expiry, and the call should report that rather than send).
    /// <see cref="SpentVersion"/> is the row version whose token a 401 condemns (-1: these came from a refresh).
    /// </summary>
    public sealed record Prepared(Connection Connection, StoredCredentials Credentials, int SpentVersion, ToolOutcome? RefreshFailed);

    /// <summary>
    /// Picks the end user's connection for the toolkit and refreshes its token when it is (about to be) stale: what
    /// `/execute` and the proxy (<see cref="ProxyRunner"/>) both do before sending. Errors are the API's connection errors.
    /// </summary>
    public async Task<(Prepared? Ready, ApiError? Error, int Status)> PrepareAsync(
        string appId, string userId, Toolkit toolkit, string? connectionId, string origin, CancellationToken ct)
    {
        var pick = await PickConnectionAsync(appId, userId, toolkit, connectionId, ct);
        switch (pick.Problem)
        {
            case "no_connection":
                return Refused(409, "no_connection", $"User '{userId}' has not connected {toolkit.Name}: start with POST /connect {{\"toolkit\":\"{toolkit.Slug}\"}}.");
            case "connection_not_found":
                return Refused(404, "connection_not_found", "No such connection for this user and toolkit.");
            case "connection_ambiguous":
                return Refused(409, "connection_ambiguous", $"User '{userId}' has several {toolkit.Name} accounts: pass connectionId (GET /connections lists them).");
            case "connection_expired":
                return Refused(409, "connection_expired", $"The {toolkit.Name} connection expired: reconnect it with POST /connect {{\"toolkit\":\"{toolkit.Slug}\",\"connectionId\":\"{pick.Connection!.Id}\"}}.");
        }
        var connection = pick.Connection!;
        var credentials = pick.Credentials!;
        if (!refresher.NeedsRefresh(credentials)) return (new Prepared(connection, credentials, connection.Version, null), null, 200);
        var refreshed = await refresher.RefreshAsync(connection, connection.Version, origin, ct);
        if (refreshed.Expired) return Refused(409, "connection_expired", Expired(toolkit, connection));
        if (refreshed.Credentials is null)
            return (new Prepared(connection, credentials, connection.Version, new ToolOutcome(false, null, refreshed.Transient ? "timeout" : "unauthorized",
                refreshed.Transient ? "The provider did not answer the token refresh; try again." : "The provider refused the token refresh.")), null, 200);
        return (new Prepared(connection, refreshed.Credentials, -1, null), null, 200); // from a refresh: a 401 now is not the token's age
    }

    /// <summary>
    /// Sends with the prepared credentials; when the provider answers 401 although we thought the token fresh, forces one
    /// refresh and sends once more (OAuth connections with a refresh token only). Expired: the refresh found the grant gone.
    /// </summary>
    public async Task<(T Sent, bool Expired)> SendWithRetryAsync<T>(
        Prepared ready, string origin, Func<StoredCredentials, Task<T>> send, Func<T, bool> unauthorized, CancellationToken ct)
    {
        var sent = await send(ready.Credentials);
        if (!unauthorized(sent) || ready.Credentials.Scheme != "oauth2" || ready.Credentials.RefreshToken is null) return (sent, false);
        var refreshed = await refresher.RefreshAsync(ready.Connection, ready.SpentVersion, origin, ct);
        if (refreshed.Credentials is { } again) return (await send(again), false);
        return (sent, refreshed.Expired);
    }

    private static (Prepared?, ApiError?, int) Refused(int status, string code, string message) => (null, new ApiError(code, message), status);

    private static string Expired(Toolkit toolkit, Connection connection) =>
        $"The {toolkit.Name} connection expired: the user must reconnect (POST /connect with connectionId {connection.Id}).";

    /// <summary>
    /// The connection to use and its decrypted credentials, from <see cref="ConnectionCache"/> or the database.
    /// Several active accounts need a connection id; failed ones are skipped; an expired one is reported.
    /// </summary>
    private async Task<ConnectionCache.Pick> PickConnectionAsync(string appId, string userId, Toolkit toolkit, string? connectionId, CancellationToken ct)
    {
        if (connections.TryGet(appId, userId, toolkit.Slug, connectionId, out var cached)) return cached;
        var version = connections.Version(appId, userId, toolkit.Slug);
        List<Connection> candidates;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
            candidates = await db.Connections.AsNoTracking()
                .Where(c => c.AppId == appId && c.UserId == userId && c.ToolkitSlug == toolkit.Slug
                    && (connectionId == null || c.Id == connectionId))
                .OrderByDescending(c => c.UpdatedAt).Take(5).ToListAsync(ct);
        ConnectionCache.Pick pick;
        if (candidates.Count == 0)
            pick = new(null, null, connectionId is null ? "no_connection" : "connection_not_found");
        else
        {
            var usable = candidates.Where(c => c.Status != ConnectionStatus.Failed).ToList();
            if (connectionId is null && usable.Count(c => c.Status == ConnectionStatus.Active) > 1)
                pick = new(null, null, "connection_ambiguous");
            else
            {
                var connection = usable.FirstOrDefault(c => c.Status == ConnectionStatus.Active) ?? usable.FirstOrDefault() ?? candidates[0];
                pick = connection.Status != ConnectionStatus.Active
                    ? new(connection, null, "connection_expired")
                    : new(connection, protector.Unprotect(connection.AppId, connection.Id, connection.Credentials), null);
            }
        }
        connections.Set(appId, userId, toolkit.Slug, connectionId, version, pick);
        return pick;
    }

    private sealed record Sent(ToolOutcome? Outcome, int? Status, long? RetryAfterMs, string? Request, InvalidToolParameter? Invalid = null);

    private async Task<Sent> SendAsync(
        Toolkit toolkit, ToolDefinition tool, JsonObject validated, StoredCredentials credentials, string apiBase, CancellationToken ct)
    {
        HttpRequestMessage request;
        var coded = _coded.GetValueOrDefault(tool.Name);
        try
        {
            request = coded is not null
                ? coded.Build(toolkit, tool, (JsonObject)validated.DeepClone(), credentials, apiBase)
                : ToolRequest.Build(toolkit, tool, validated, credentials, apiBase);
        }
        catch (InvalidToolParameter e) { return new Sent(null, null, null, null, e); }
        if (tool.Kind == "coded" && coded is null)
        {
            request.Dispose();
            return new Sent(new ToolOutcome(false, null, "not_implemented", $"{tool.Name} is not implemented on this server yet."), null, null, null);
        }

        using (request)
        {
            var described = Describe(request);
            var (response, failure) = await SendPolicedAsync(request, HttpCompletionOption.ResponseContentRead, toolkit, ct, coded);
            if (response is null) return new Sent(failure, null, null, described);

            using (response)
            {
                var status = (int)response.StatusCode;
                var body = await ReadAsync(response, ct);
                long? retryAfter = response.Headers.RetryAfter is { } ra
                    ? (long)(ra.Delta ?? (ra.Date is { } d ? d - clock.GetUtcNow() : TimeSpan.Zero)).TotalMilliseconds : null;
                if (response.IsSuccessStatusCode)
                    return new Sent(coded?.Read(body) ?? new ToolOutcome(true, body), status, null, described);
                var code = UpstreamErrorCode(status, status == 403 && (IsRateLimit(response, body) || Connections.Quirks.ProviderQuirks.IsRateLimited(toolkit, response, body)));
                // GitHub names the scopes an endpoint accepts (https://docs.github.com/rest/authentication/authenticating-to-the-rest-api).
                var accepted = code == "insufficient_scope" && response.Headers.TryGetValues("X-Accepted-OAuth-Scopes", out var named)
                    ? named.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList() : null;
                return new Sent(new ToolOutcome(false, body, code, $"{toolkit.Name} answered {status} {response.ReasonPhrase}.", accepted is { Count: > 0 } ? accepted : null),
                    status, retryAfter is < 0 ? 0 : retryAfter, described);
            }
        }
    }

    /// <summary>
    /// Sends on the policed execution client (outbound policy, no redirects, resilience), and turns the failures a
    /// provider call can meet into an outcome instead of an exception: timeouts, unreachable hosts, an open circuit.
    /// </summary>
    internal async Task<(HttpResponseMessage? Response, ToolOutcome? Failure)> SendPolicedAsync(
        HttpRequestMessage request, HttpCompletionOption completion, Toolkit toolkit, CancellationToken ct, CodedTool? coded = null)
    {
        // The provider call as a child span: method, host and status; never the path or query (docs/architecture.md "Telemetry").
        using var span = PortalTelemetry.Source.StartActivity("provider call", ActivityKind.Client);
        span?.SetTag("http.request.method", request.Method.Method).SetTag("server.address", request.RequestUri?.Host).SetTag("butterbase.toolkit", toolkit.Slug);
        var client = httpClientFactory.CreateClient(HttpClientName);
        try
        {
            var response = coded is null
                ? await client.SendAsync(request, completion, ct)
                : await coded.SendAsync(request, r => client.SendAsync(r, completion, ct), ct);
            span?.SetTag("http.response.status_code", (int)response.StatusCode);
            if (!response.IsSuccessStatusCode) span?.SetStatus(ActivityStatusCode.Error);
            return (response, null);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        { return (null, new ToolOutcome(false, null, "timeout", $"{toolkit.Name} did not answer in time.")); }
        // One message for refused, closed, filtered, unresolvable and refused-by-policy: the text must not tell a
        // tenant probing a host field which ports are open (docs/security.md [32]).
        catch (HttpRequestException)
        { return (null, new ToolOutcome(false, null, "upstream_error", $"{toolkit.Name} could not be reached.")); }
        // Polly's rejections (matched by name: OpenIddict brings Polly 7 beside the resilience package's Polly 8).
        catch (Exception e) when (e.GetType().Name == "TimeoutRejectedException")
        { return (null, new ToolOutcome(false, null, "timeout", $"{toolkit.Name} did not answer in time.")); }
        catch (Exception e) when (e.GetType().Name is "BrokenCircuitException" or "IsolatedCircuitException")
        { return (null, new ToolOutcome(false, null, "upstream_error", $"{toolkit.Name} is failing; calls are paused for a moment.")); }
    }

    /// <summary>The error code of a provider's non-2xx answer (<paramref name="rateLimit"/>: a 403 that is really a rate limit).</summary>
    internal static string UpstreamErrorCode(int status, bool rateLimit) => status switch
    {
        429 => "rate_limited",
        403 when rateLimit => "rate_limited",
        401 => "unauthorized",
        403 => "insufficient_scope",
        408 or 504 => "timeout",
        _ => "upstream_error",
    };

    /// <summary>The size of a provider's answer kept: execute cuts the text here; the proxy refuses a larger answer.</summary>
    public const int MaxResponseSize = 1_000_000;
    /// <summary>The most an execution answer may take in memory before it is cut (16 MB); larger ones are refused.</summary>
    public const int MaxBufferedResponseBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Some providers answer a rate limit with 403, not 429: Google (`rateLimitExceeded`, `userRateLimitExceeded`,
    /// https://developers.google.com/workspace/gmail/api/guides/handle-errors) and GitHub (`x-ratelimit-remaining: 0`,
    /// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api).
    /// </summary>
    internal static bool IsRateLimit(HttpResponseMessage response, JsonNode? body) =>
        response.Headers.TryGetValues("x-ratelimit-remaining", out var remaining) && remaining.FirstOrDefault() == "0"
        || body?.ToJsonString() is { } text && (text.Contains("rateLimitExceeded", StringComparison.Ordinal)
            || text.Contains("userRateLimitExceeded", StringComparison.Ordinal) || text.Contains("rate limit exceeded", StringComparison.OrdinalIgnoreCase));

    private static async Task<JsonNode?> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (text.Length == 0) return null;
        if (text.Length > MaxResponseSize) text = text[..MaxResponseSize];
        try { return JsonNode.Parse(text); }
        catch (JsonException) { return JsonValue.Create(text); }
    }

    /// <summary>Method and URL without credentials: query values of api-key schemes are masked.</summary>
    internal static string Describe(HttpRequestMessage request)
    {
        var uri = request.RequestUri!;
        var query = uri.Query.Length <= 1 ? "" : "?" + string.Join("&", uri.Query[1..].Split('&').Select(p =>
            p.Split('=') is [var k, _] && Sensitive(Uri.UnescapeDataString(k)) ? k + "=***" : p));
        return $"{request.Method} {uri.GetLeftPart(UriPartial.Path)}{query}";
    }

    private static bool Sensitive(string name) =>
        name.Contains("key", StringComparison.OrdinalIgnoreCase) || name.Contains("token", StringComparison.OrdinalIgnoreCase)
        || name.Contains("secret", StringComparison.OrdinalIgnoreCase) || name.Contains("password", StringComparison.OrdinalIgnoreCase)
        || name.Contains("auth", StringComparison.OrdinalIgnoreCase) || name.Contains("signature", StringComparison.OrdinalIgnoreCase);

    private (ExecuteResult?, ApiError?, int) Done(Call call, Toolkit toolkit, ToolDefinition tool, Connection connection, string executionId,
        long started, ToolOutcome outcome, int? status, long? retryAfter, string? request)
    {
        var elapsed = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        // A provider's own "missing scope" answer gets the same way out as the check before the call: the scopes it named
        // (else the tool's) and a consent link asking for them.
        var scopes = outcome.ErrorCode == "insufficient_scope" ? outcome.Scopes ?? (tool.Scopes.Length > 0 ? tool.Scopes : null) : null;
        var error = outcome.Successful ? null : new ExecuteError(outcome.ErrorCode ?? "upstream_error", outcome.ErrorMessage ?? "The provider call failed.",
            outcome.ErrorCode is "rate_limited" or "timeout" || status >= 500, retryAfter, status,
            scopes, scopes is null ? null : ReconnectUrl(call, toolkit, connection, scopes.Take(1)));
        log.Add(new ExecutionRecord
        {
            Id = executionId, AppId = call.AppId, UserId = call.UserId, ToolName = tool.Name, ToolkitSlug = toolkit.Slug,
            ConnectionId = connection.Id, Source = call.Source, Successful = outcome.Successful, ErrorCode = error?.Code, UpstreamStatus = status,
            DurationMs = elapsed, Request = request, Response = outcome.Data?.ToJsonString(), // cut to the per-row cap by the log
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        log.Touch(connection.Id);
        return (new ExecuteResult(outcome.Successful, outcome.Data, error, executionId), null, 200);
    }

    /// <summary>
    /// <see cref="Done"/>, then what a failure tells the app: a provider's 403 for lack of scope is a lifecycle change of the
    /// connection (`connection.scope_insufficient`, at most hourly), and any failed run is `execution.failed` for endpoints
    /// that opted in (one indexed read of the app's endpoints when none did).
    /// </summary>
    private async Task<(ExecuteResult?, ApiError?, int)> DoneAsync(Call call, Toolkit toolkit, ToolDefinition tool, Connection connection,
        string executionId, long started, ToolOutcome outcome, int? status, long? retryAfter, string? request)
    {
        var done = Done(call, toolkit, tool, connection, executionId, started, outcome, status, retryAfter, request);
        if (outcome.Successful) return done;
        // Not the caller's token: the answer is already decided, and the events must not be lost to a client hanging up.
        var ct = CancellationToken.None;
        if (outcome.ErrorCode == "insufficient_scope")
            await lifecycle.ScopeInsufficientAsync(dbFactory, connection, $"{tool.Name}: {toolkit.Name} answered 403 (missing scope).", ct);
        await outbox.SendAsync(dbFactory, call.AppId, Webhooks.WebhookEvents.ExecutionFailed, new
        {
            executionId, toolName = tool.Name, toolkit = toolkit.Slug, userId = call.UserId, connectionId = connection.Id,
            errorCode = done.Item1?.Error?.Code, upstreamStatus = status,
        }, ct);
        return done;
    }

    private static (ExecuteResult?, ApiError?, int) Fail(int status, string code, string message) => (null, new ApiError(code, message), status);

    /// <summary>A connect link that reconnects this connection asking for <paramref name="scopes"/> too (OAuth connections only).</summary>
    private string? ReconnectUrl(Call call, Toolkit toolkit, Connection connection, IEnumerable<string> scopes) =>
        connection.AuthScheme == "oauth2" ? links.Create(call.AppId, call.UserId, toolkit.Slug, scopes.ToList(), connection.Id) : null;
}
