using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Butterbase.Portal.Api;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Telemetry;
using Butterbase.Portal.Toolkits;

namespace Butterbase.Portal.Execution;

/// <summary>The `POST /execute` result envelope.</summary>
public sealed record ExecuteResult(bool Successful, JsonNode? Data, ExecuteError? Error, string ExecutionId);

/// <param name="MissingScopes">On insufficient_scope: the scopes to ask for (one of them is enough).</param>
/// <param name="ReconnectUrl">On insufficient_scope: a connect link that reconnects asking for the first of them.</param>
public sealed record ExecuteError(string Code, string Message, bool Retryable, long? RetryAfterMs, int? UpstreamStatus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? MissingScopes = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ReconnectUrl = null);

/// <summary>What a provider call came back with, before it becomes the envelope and a log row.</summary>
/// <param name="Request">The request as the log keeps it (<see cref="ToolRunner.Describe"/>: no credential).</param>
/// <param name="RawJson">The provider's JSON answer as it came (UTF-8), which the log keeps instead of re-serializing <see cref="ToolOutcome.Data"/>.</param>
public sealed record ProviderAnswer(ToolOutcome Outcome, int? Status, long? RetryAfterMs, string? Request, byte[]? RawJson = null);

/// <summary>
/// Runs a tool for an end user, one step after the other (docs/architecture.md "Execute"): find the tool → the toolkit's
/// state for the app → validate the parameters → choose the connection (<see cref="ConnectionPicker"/>: fresh token) →
/// check the tool's scopes → send (declaratively, or through the tool's <see cref="CodedTool"/>, on the `execution` client
/// whose handlers force a refresh on a 401 and read rate limits) → record (<see cref="ExecutionRecorder"/>). A refusal at
/// any step is an <see cref="ExecuteFailure"/>, recorded as a refused row too; never an exception.
/// </summary>
public sealed class ToolRunner(
    ToolkitCatalog catalog, ToolkitConfigs configs, ToolParameters parameters, ConnectionPicker picker, OAuthProviders providers,
    IHttpClientFactory httpClientFactory, IEnumerable<CodedTool> codedTools, ExecutionRecorder recorder, TimeProvider clock)
{
    public const string HttpClientName = "execution";
    private readonly Dictionary<string, CodedTool> _coded = codedTools.SelectMany(t => t.Names.Select(n => (n, t))).ToDictionary(p => p.n, p => p.t);

    /// <param name="Source">Who asked (<see cref="ExecutionSources"/>), as the executions log shows it.</param>
    public sealed record Call(string AppId, string UserId, string ToolName, JsonElement? Params, string? ConnectionId, string Origin,
        string Source = ExecutionSources.Api);

    public async Task<ToolRun> ExecuteAsync(Call call, CancellationToken ct)
    {
        using var span = PortalTelemetry.Source.StartActivity("execute");
        var started = Stopwatch.GetTimestamp();
        var found = catalog.FindTool(call.ToolName); // once per call: the run and the telemetry below both use it
        var run = await RunAsync(call, found, started, ct);
        var outcome = run.Failure?.Code ?? run.Result?.Error?.Code ?? "ok";
        var toolkit = found?.Toolkit.Slug ?? "";
        PortalTelemetry.Executions.Add(1, new("toolkit", toolkit), new("source", call.Source), new("outcome", outcome));
        PortalTelemetry.ExecutionDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new("toolkit", toolkit), new("source", call.Source));
        if (span is not null)
        {
            // Names, ids and codes only (docs/architecture.md "Telemetry"); the tool name is the caller's text until found.
            span.SetTag("butterbase.app_id", call.AppId).SetTag("butterbase.tool", call.ToolName.Length <= 128 ? call.ToolName : call.ToolName[..128])
                .SetTag("butterbase.toolkit", toolkit).SetTag("butterbase.source", call.Source).SetTag("butterbase.outcome", outcome)
                .SetTag("butterbase.execution_id", run.Result?.ExecutionId);
            if (outcome != "ok") span.SetStatus(ActivityStatusCode.Error, outcome);
        }
        return run;
    }

    /// <summary>The table of contents: each step answers a value or the failure that ends the call (recorded as a refused row).</summary>
    private async Task<ToolRun> RunAsync(Call call, (ToolDefinition Tool, Toolkit Toolkit)? found, long started, CancellationToken ct)
    {
        if (found is not var (tool, toolkit))
            return recorder.Refused(call, null, null, null, started, ExecuteFailure.Of(ErrorCodes.UnknownTool, $"There is no tool '{call.ToolName}'. List tools with GET /tools?toolkit=…."));
        if (await ToolkitOffAsync(call, toolkit, ct) is { } off) return recorder.Refused(call, toolkit, tool, null, started, off);
        var validated = Validate(call, toolkit, tool);
        if (validated.Failure is { } invalid) return recorder.Refused(call, toolkit, tool, null, started, invalid);
        var chosen = await picker.ChooseAsync(call.AppId, call.UserId, toolkit, call.ConnectionId, call.Origin, ct);
        if (chosen.Failure is { } none) return recorder.Refused(call, toolkit, tool, null, started, none);
        var use = chosen.Value!;
        if (await recorder.MissingScopeAsync(call, toolkit, tool, use.Connection) is { } scope) return recorder.Refused(call, toolkit, tool, use.Connection.Id, started, scope);
        var sent = await SendAsync(toolkit, tool, validated.Value!, use, call.Origin, ct);
        if (sent.Failure is { } refused) return recorder.Refused(call, toolkit, tool, use.Connection.Id, started, refused);
        return await recorder.RunAsync(call, toolkit, tool, use.Connection, started, sent.Value!);
    }

    private async Task<ExecuteFailure?> ToolkitOffAsync(Call call, Toolkit toolkit, CancellationToken ct) =>
        await configs.StateAsync(call.AppId, toolkit.Slug, ct) switch
        {
            ToolkitConfigs.ToolkitState.NotConfigured => ExecuteFailure.Of(ErrorCodes.ToolkitNotEnabled, $"Enable {toolkit.Name} for this app first (POST /configure)."),
            ToolkitConfigs.ToolkitState.Disabled => ExecuteFailure.Of(ErrorCodes.ToolkitDisabled, $"{toolkit.Name} is disabled for this app."),
            _ => null,
        };

    private Step<JsonObject> Validate(Call call, Toolkit toolkit, ToolDefinition tool)
    {
        // The API and ctx.integrations both come through here: text that is not valid Unicode is the caller's error. It
        // passes the JSON reader and the schema, and fails only when written out to the provider or the log.
        if (call.Params is { } given && !ToolParameters.IsValidUnicode(given))
            return ExecuteFailure.Of(ErrorCodes.InvalidJson, "params holds text that is not valid Unicode (malformed UTF-8 or a lone surrogate such as \\ud800).");
        var (validated, problems) = parameters.Validate(toolkit, tool, call.Params);
        return validated is not null ? validated : ExecuteFailure.Of(ErrorCodes.InvalidParams, "The parameters do not match the tool's schema: see details.", problems);
    }

    /// <summary>
    /// Builds the request (declaratively or by the coded tool) with the chosen credentials and sends it. The request carries
    /// the <see cref="ConnectionUse"/>: on a 401 the client's <see cref="ConnectionRefreshHandler"/> refreshes and sends again.
    /// </summary>
    private async Task<Step<ProviderAnswer>> SendAsync(Toolkit toolkit, ToolDefinition tool, JsonObject validated, ConnectionUse use, string origin, CancellationToken ct)
    {
        if (use.RefreshFailed is { } refreshFailed)
            return new ProviderAnswer(new ToolOutcome(false, null, refreshFailed.Code, refreshFailed.Message), null, null, null);
        var apiBase = providers.ApiBaseUrl(toolkit, tool, origin);
        var coded = _coded.GetValueOrDefault(tool.Name) ?? (tool.Graphql is not null ? GraphQLDocumentTool.Instance : null); // a GraphQL document: Tools/GraphQL.cs
        if (tool.Kind == "coded" && coded is null)
            return new ProviderAnswer(new ToolOutcome(false, null, ErrorCodes.NotImplemented, $"{tool.Name} is not implemented on this server yet."), null, null, null);
        // A coded tool's own refusal (a shared credential outside what this connection is bound to) does not depend on the
        // user's token: decided once, before any send.
        if (coded is not null && await coded.RefuseAsync(validated, use.Credentials, apiBase, httpClientFactory.CreateClient(HttpClientName), ct) is { } refusal)
            return ExecuteFailure.Of(ErrorCodes.Forbidden, refusal);

        var built = ToolRequest.Attempt(
            () => coded is not null
                ? coded.Build(toolkit, tool, (JsonObject)validated.DeepClone(), use.Credentials, apiBase)
                : ToolRequest.Build(toolkit, tool, validated, use.Credentials, apiBase),
            detail => ExecuteFailure.Of(ErrorCodes.InvalidParams, "The parameters cannot be sent to the provider: see details.", [detail]));
        if (built.Failure is { } unsendable) return unsendable;
        var request = built.Value!;

        using (request)
        {
            request.Options.Set(ConnectionUse.Key, use);
            var described = Describe(request);
            var (response, failure) = await SendPolicedAsync(request, HttpCompletionOption.ResponseContentRead, toolkit, ct, coded);
            if (use.Expired) { response?.Dispose(); return ConnectionPicker.Expired(toolkit, use.Connection); }
            if (response is null) return new ProviderAnswer(failure!, null, null, described);
            using (response) return await ReadAsync(response, toolkit, coded, described, ct);
        }
    }

    /// <summary>The provider's answer as an outcome: its body parsed once (the log keeps the bytes as they came), its error classified.</summary>
    private async Task<ProviderAnswer> ReadAsync(HttpResponseMessage response, Toolkit toolkit, CodedTool? coded, string described, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var (body, raw) = await ReadBodyAsync(response, ct);
        if (response.IsSuccessStatusCode)
            return coded is null ? new ProviderAnswer(new ToolOutcome(true, body), status, null, described, raw) : new ProviderAnswer(coded.Read(body), status, null, described);
        long? retryAfter = response.Headers.RetryAfter is { } ra
            ? (long)(ra.Delta ?? (ra.Date is { } d ? d - clock.GetUtcNow() : TimeSpan.Zero)).TotalMilliseconds : null;
        var code = UpstreamErrorCode(status, status == 403 && ProviderRateLimitHandler.IsRateLimited(response));
        // GitHub names the scopes an endpoint accepts (https://docs.github.com/rest/authentication/authenticating-to-the-rest-api).
        var accepted = code == ErrorCodes.InsufficientScope && response.Headers.TryGetValues("X-Accepted-OAuth-Scopes", out var named)
            ? named.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList() : null;
        return new ProviderAnswer(new ToolOutcome(false, body, code, $"{toolkit.Name} answered {status} {response.ReasonPhrase}.", accepted is { Count: > 0 } ? accepted : null),
            status, retryAfter is < 0 ? 0 : retryAfter, described, raw);
    }

    /// <summary>
    /// The body, parsed once: UTF-8 JSON straight from the bytes (no string in between), with the bytes' text for the log
    /// when they were JSON (what the provider sent is what the log shows; the envelope is written from the parsed node).
    /// Other charsets and answers over <see cref="MaxResponseSize"/> go through text, cut to that size.
    /// </summary>
    private static async Task<(JsonNode? Body, byte[]? Raw)> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var charset = response.Content.Headers.ContentType?.CharSet;
        var utf8 = charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
        if (utf8)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            if (bytes.Length == 0) return (null, null);
            if (bytes.Length <= MaxResponseSize && bytes[0] is (byte)'{' or (byte)'[')
            {
                try { return (JsonNode.Parse(bytes), bytes); }
                catch (JsonException) { } // not JSON after all: as text below
            }
            var decoded = System.Text.Encoding.UTF8.GetString(bytes);
            return (Parse(decoded.Length > MaxResponseSize ? decoded[..MaxResponseSize] : decoded), null);
        }
        var text = await response.Content.ReadAsStringAsync(ct);
        if (text.Length == 0) return (null, null);
        return (Parse(text.Length > MaxResponseSize ? text[..MaxResponseSize] : text), null);

        static JsonNode? Parse(string text)
        {
            try { return JsonNode.Parse(text); }
            catch (JsonException) { return JsonValue.Create(text); }
        }
    }

    /// <summary>
    /// Sends on the policed execution client (outbound policy, no redirects, a forced refresh on a 401, rate-limit
    /// reading, resilience), and turns the failures a provider call can meet into an outcome instead of an exception:
    /// timeouts, unreachable hosts, an open circuit.
    /// </summary>
    internal async Task<(HttpResponseMessage? Response, ToolOutcome? Failure)> SendPolicedAsync(
        HttpRequestMessage request, HttpCompletionOption completion, Toolkit toolkit, CancellationToken ct, CodedTool? coded = null)
    {
        // The provider call as a child span: method, host and status; never the path or query (docs/architecture.md "Telemetry").
        using var span = PortalTelemetry.Source.StartActivity("provider call", ActivityKind.Client);
        span?.SetTag("http.request.method", request.Method.Method).SetTag("server.address", request.RequestUri?.Host).SetTag("butterbase.toolkit", toolkit.Slug);
        request.Options.Set(ProviderRateLimitHandler.ToolkitKey, toolkit);
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
        { return (null, new ToolOutcome(false, null, ErrorCodes.Timeout, $"{toolkit.Name} did not answer in time.")); }
        // One message for refused, closed, filtered, unresolvable and refused-by-policy: the text must not tell a
        // tenant probing a host field which ports are open (docs/security.md [32]).
        catch (HttpRequestException)
        { return (null, new ToolOutcome(false, null, ErrorCodes.UpstreamError, $"{toolkit.Name} could not be reached.")); }
        // Polly's rejections (matched by name: OpenIddict brings Polly 7 beside the resilience package's Polly 8).
        catch (Exception e) when (e.GetType().Name == "TimeoutRejectedException")
        { return (null, new ToolOutcome(false, null, ErrorCodes.Timeout, $"{toolkit.Name} did not answer in time.")); }
        catch (Exception e) when (e.GetType().Name is "BrokenCircuitException" or "IsolatedCircuitException")
        { return (null, new ToolOutcome(false, null, ErrorCodes.UpstreamError, $"{toolkit.Name} is failing; calls are paused for a moment.")); }
    }

    /// <summary>The error code of a provider's non-2xx answer (<paramref name="rateLimit"/>: a 403 that is really a rate limit).</summary>
    internal static string UpstreamErrorCode(int status, bool rateLimit) => status switch
    {
        429 => ErrorCodes.RateLimited,
        403 when rateLimit => ErrorCodes.RateLimited,
        401 => ErrorCodes.Unauthorized,
        403 => ErrorCodes.InsufficientScope,
        408 or 504 => ErrorCodes.Timeout,
        _ => ErrorCodes.UpstreamError,
    };

    /// <summary>The size of a provider's answer kept: execute cuts the text here; the proxy refuses a larger answer.</summary>
    public const int MaxResponseSize = 1_000_000;
    /// <summary>The most an execution answer may take in memory before it is cut (16 MB); larger ones are refused.</summary>
    public const int MaxBufferedResponseBytes = 16 * 1024 * 1024;

    /// <summary>Method and URL without credentials: query values of api-key schemes are masked.</summary>
    internal static string Describe(HttpRequestMessage request)
    {
        var uri = request.RequestUri!;
        var query = uri.Query.Length <= 1 ? "" : "?" + string.Join("&", uri.Query[1..].Split('&').Select(p =>
            p.Split('=') is [var k, _] && Sensitive(Uri.UnescapeDataString(k)) ? k + "=***" : p));
        return $"{request.Method} {uri.GetLeftPart(UriPartial.Path)}{query}";
    }

    /// <summary>A parameter or field name whose value is a credential (masked in the log).</summary>
    internal static bool Sensitive(string name) =>
        name.Contains("key", StringComparison.OrdinalIgnoreCase) || name.Contains("token", StringComparison.OrdinalIgnoreCase)
        || name.Contains("secret", StringComparison.OrdinalIgnoreCase) || name.Contains("password", StringComparison.OrdinalIgnoreCase)
        || name.Contains("auth", StringComparison.OrdinalIgnoreCase) || name.Contains("signature", StringComparison.OrdinalIgnoreCase);
}
