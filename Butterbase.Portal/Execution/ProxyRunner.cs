using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Butterbase.Portal.Api;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Toolkits;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Execution;

/// <summary>The proxy's answer: the provider's status, its kept headers, and its body as JSON, text or base64.</summary>
public sealed record ProxyResult(
    int Status,
    IReadOnlyDictionary<string, string> Headers,
    JsonNode? Body,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? BodyBase64,
    string ExecutionId);

/// <summary>
/// `POST /integrations/proxy`: sends a caller-described request to a connected provider's API with the connection's
/// credentials, as a tool would (docs/architecture.md "Proxy"). The connection and its refresh are
/// <see cref="ConnectionPicker"/>'s, the forced refresh on a 401 the execution client's (<see cref="ConnectionRefreshHandler"/>); the request stays under the toolkit's API base (<see cref="ProxyRules"/>), goes out on
/// the policed execution client (outbound policy, no redirects), and is logged as an execution named `{TOOLKIT}_PROXY`.
/// No credential reaches the caller or the log: answer bytes and header values are scrubbed of the connection's secrets.
/// </summary>
public sealed class ProxyRunner(
    IDbContextFactory<PortalDb> dbFactory, ToolkitCatalog catalog, ToolkitConfigs configs, OAuthProviders providers, ToolRunner runner,
    ConnectionPicker picker, ExecutionLog log, ExecutionRecorder recorder, TimeProvider clock)
{
    /// <summary>The longest a proxied answer's body may take to arrive once its headers have (the execute client's total timeout).</summary>
    public static readonly TimeSpan BodyTimeout = TimeSpan.FromSeconds(45);

    public sealed record Call(
        string AppId, string UserId, string? Toolkit, string? ConnectionId, string Method, string Path, JsonElement? Query,
        IReadOnlyDictionary<string, string>? Headers, JsonElement? Body, string Origin, string Source = ExecutionSources.Api);

    public async Task<Step<ProxyResult>> SendAsync(Call call, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        Toolkit? toolkit = null;
        string? connectionId = null;
        // A refusal is a row of the executions log, as execute's are (ExecutionRecorder.RefusedProxy keeps no caller text).
        ExecuteFailure Refuse(ExecuteFailure failure) => recorder.RefusedProxy(call, toolkit, connectionId, started, failure);

        // Everything the caller wrote is checked before a connection is read or anything is sent.
        var problems = new List<ApiErrorDetail>();
        var method = call.Method.ToUpperInvariant();
        if (!ProxyRules.Methods.Contains(method)) problems.Add(new("method", $"One of {string.Join(", ", ProxyRules.Methods)}."));
        var (target, pathProblem) = ProxyRules.CheckPath(call.Path);
        if (pathProblem is not null) problems.Add(pathProblem);
        var (query, queryProblems) = ProxyRules.QueryPairs(call.Query);
        problems.AddRange(queryProblems);
        problems.AddRange(ProxyRules.CheckHeaders(call.Headers));
        var body = call.Body is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } b ? b : (JsonElement?)null;
        if (body is not null && method is "GET" or "HEAD") problems.Add(new("body", $"A {method} request carries no body."));
        if (body is { } text && !ToolParameters.IsValidUnicode(text) || call.Query is { } q && !ToolParameters.IsValidUnicode(q))
            problems.Add(new("body", "The request holds text that is not valid Unicode (malformed UTF-8 or a lone surrogate)."));
        if (problems.Count > 0) return Refuse(Invalid(problems));

        var toolkitSlug = call.Toolkit;
        if (toolkitSlug is null)
        {
            // A connection id alone names its toolkit, but only among this user's connections in this app.
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            toolkitSlug = await db.Connections.AsNoTracking().Where(c => c.Id == call.ConnectionId && c.AppId == call.AppId && c.UserId == call.UserId)
                .Select(c => c.ToolkitSlug).FirstOrDefaultAsync(ct);
            if (toolkitSlug is null) return Refuse(ExecuteFailure.Of(ErrorCodes.ConnectionNotFound, "No such connection for this user."));
        }
        toolkit = catalog.Find(toolkitSlug);
        if (toolkit is null) return Refuse(ExecuteFailure.Of(ErrorCodes.UnknownToolkit, $"There is no toolkit '{toolkitSlug}'. Search the catalog with GET /available."));
        var state = await configs.StateAsync(call.AppId, toolkit.Slug, ct);
        if (state == ToolkitConfigs.ToolkitState.NotConfigured) return Refuse(ExecuteFailure.Of(ErrorCodes.ToolkitNotEnabled, $"Enable {toolkit.Name} for this app first (POST /configure)."));
        if (state == ToolkitConfigs.ToolkitState.Disabled) return Refuse(ExecuteFailure.Of(ErrorCodes.ToolkitDisabled, $"{toolkit.Name} is disabled for this app."));

        var chosen = await picker.ChooseAsync(call.AppId, call.UserId, toolkit, call.ConnectionId, call.Origin, ct);
        if (chosen.Failure is { } none) return Refuse(none);
        var ready = chosen.Value!;
        var connection = ready.Connection;
        connectionId = connection.Id;
        var executionId = Ids.Ordered("ex_", 20, clock.GetUtcNow());
        var tool = ProxyRules.Upper(toolkit.Slug) + "_PROXY";
        var secrets = new Secrets(toolkit, ready.Credentials);
        if (ready.RefreshFailed is { } refreshFailed)
        {
            Log(call, toolkit, tool, connection, executionId, started, null, refreshFailed.Code, null, null);
            return new ExecuteFailure(refreshFailed.Code, refreshFailed.Code == ErrorCodes.Timeout ? 504 : 502, refreshFailed.Message);
        }

        var apiBase = providers.ApiBaseUrl(toolkit, call.Origin);
        var address = ToolRequest.Attempt(() => Url(ToolRequest.ResolveFields(apiBase, ready.Credentials), target!, query), detail => Invalid([detail]));
        if (address.Failure is { } unsendable) return Refuse(unsendable);
        var url = address.Value!;
        var built = ToolRequest.Attempt(() => Build(toolkit, method, url, apiBase.Contains('{'), call.Headers, body, ready.Credentials), detail => Invalid([detail]));
        if (built.Failure is { } incomplete) return Refuse(incomplete);
        var request = built.Value!;
        Sent sent;
        using (request)
        {
            // On a 401 the client's ConnectionRefreshHandler refreshes and sends again: the answer is scrubbed of both tokens.
            request.Options.Set(ConnectionUse.Key, ready);
            sent = await ForwardAsync(request, toolkit, method, secrets, ready, ct);
        }
        if (ready.Expired) return Refuse(ConnectionPicker.Expired(toolkit, connection));

        var described = secrets.Scrub(Describe(method, url, call.Headers));
        if (sent.Failure is { } failure)
        {
            Log(call, toolkit, tool, connection, executionId, started, null, failure.Code, described, null);
            return failure;
        }
        var result = sent.Result! with { ExecutionId = executionId };
        var logged = result.Body?.ToJsonString() ?? (result.BodyBase64 is { } b64 ? $"[binary: {b64.Length * 3 / 4:N0} bytes, base64 in the answer]" : null);
        Log(call, toolkit, tool, connection, executionId, started, result.Status,
            result.Status is >= 200 and < 400 ? null : ToolRunner.UpstreamErrorCode(result.Status, sent.RateLimit), described, logged);
        return result;
    }

    /// <summary>What the send produced: the answer, or a failure to reach the provider or read its answer.</summary>
    private sealed record Sent(ProxyResult? Result, ExecuteFailure? Failure, bool RateLimit = false);

    /// <summary>
    /// The API base with the caller's path and query. An absolute URL must have the API base's scheme, host and port
    /// (the catalog lists one host per toolkit: its API base) and, like a relative path, stay under the base path.
    /// </summary>
    private static Uri Url(string apiBase, ProxyRules.Target target, List<KeyValuePair<string, string>> query)
    {
        var root = new Uri(apiBase.TrimEnd('/') + "/");
        if (target.Absolute is { } absolute && (absolute.Scheme != root.Scheme || !string.Equals(absolute.IdnHost, root.IdnHost, StringComparison.OrdinalIgnoreCase)
            || absolute.Port != root.Port))
            throw new InvalidToolParameter("path", $"An absolute URL must be on the toolkit's API host ({root.Scheme}://{root.Authority}); give a path relative to {root.AbsolutePath} instead.");
        var path = target.Path;
        if (target.Absolute is not null)
        {
            // The absolute URL names the base path itself: keep what follows it.
            if (!(path + "/").StartsWith(root.AbsolutePath, StringComparison.Ordinal))
                throw new InvalidToolParameter("path", $"The URL must stay under the toolkit's API base {root.AbsolutePath}.");
            path = path.Length < root.AbsolutePath.Length ? "" : "/" + path[root.AbsolutePath.Length..];
        }
        var pairs = (target.Query is { Length: > 0 } own ? [own] : new List<string>())
            .Concat(query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))).ToList();
        var url = new Uri(apiBase.TrimEnd('/') + path + (pairs.Count > 0 ? "?" + string.Join("&", pairs) : ""));
        // Whatever the parser made of it, the request stays on the base's origin and under its path (as ToolRequest checks).
        if (url.Scheme != root.Scheme || !string.Equals(url.IdnHost, root.IdnHost, StringComparison.OrdinalIgnoreCase) || url.Port != root.Port
            || !(url.AbsolutePath + "/").StartsWith(root.AbsolutePath, StringComparison.Ordinal))
            throw new InvalidToolParameter("path", "The path would leave the toolkit's API base.");
        return url;
    }

    private static HttpRequestMessage Build(Toolkit toolkit, string method, Uri url, bool tenantChosenHost, IReadOnlyDictionary<string, string>? headers,
        JsonElement? body, StoredCredentials credentials)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), url);
        // A toolkit whose address takes a connection's field is called where a tenant said: the outbound policy treats it so.
        if (tenantChosenHost) request.Options.Set(Outbound.OutboundPolicy.TenantChosenHost, true);
        var given = headers ?? new Dictionary<string, string>();
        // The catalog's fixed headers (Notion-Version…) unless the caller chose its own value of one.
        foreach (var (key, value) in toolkit.Headers ?? [])
            if (!given.Keys.Contains(key, StringComparer.OrdinalIgnoreCase)) request.Headers.TryAddWithoutValidation(key, value);
        string? contentType = null;
        foreach (var (key, value) in given)
        {
            if (key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) contentType = value;
            else if (key.Equals("Content-Language", StringComparison.OrdinalIgnoreCase)) continue; // set on the content below
            else request.Headers.TryAddWithoutValidation(key, value); // allow-listed and free of control characters (ProxyRules)
        }
        if (body is { } b)
        {
            var isText = b.ValueKind == JsonValueKind.String;
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(isText ? b.GetString()! : b.GetRawText()));
            content.Headers.ContentType = contentType is not null ? MediaTypeHeaderValue.Parse(contentType)
                : new MediaTypeHeaderValue(isText ? "text/plain" : "application/json") { CharSet = "utf-8" };
            if (given.FirstOrDefault(h => h.Key.Equals("Content-Language", StringComparison.OrdinalIgnoreCase)).Value is { } language)
                content.Headers.TryAddWithoutValidation("Content-Language", language);
            request.Content = content;
        }
        ToolRequest.Authenticate(request, toolkit, credentials);
        return request;
    }

    private async Task<Sent> ForwardAsync(HttpRequestMessage request, Toolkit toolkit, string method, Secrets secrets, ConnectionUse use, CancellationToken ct)
    {
        // Headers first: the size is checked before the body is read, and a large answer is never held whole.
        var (response, failure) = await runner.SendPolicedAsync(request, HttpCompletionOption.ResponseHeadersRead, toolkit, ct);
        // A forced refresh may have brought a new token: scrub it from the answer too.
        secrets.Add(toolkit, use.Credentials);
        if (response is null)
            return new Sent(null, new ExecuteFailure(failure!.ErrorCode!, failure.ErrorCode == ErrorCodes.Timeout ? 504 : 502, failure.ErrorMessage!));
        using (response)
        {
            var tooLarge = new ExecuteFailure(ErrorCodes.ResponseTooLarge, 502,
                $"{toolkit.Name}'s answer is larger than {ToolRunner.MaxResponseSize:N0} bytes, the most the proxy returns (as execute); ask for less (paging, fields, ranges).");
            // A HEAD answer's Content-Length describes the body a GET would get, not one that comes.
            if (method != "HEAD" && response.Content.Headers.ContentLength > ToolRunner.MaxResponseSize) return new Sent(null, tooLarge);
            byte[] bytes;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(BodyTimeout);
                try { bytes = await ReadCappedAsync(response.Content, ToolRunner.MaxResponseSize, timeout.Token); }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                { return new Sent(null, new ExecuteFailure(ErrorCodes.Timeout, 504, $"{toolkit.Name} did not finish its answer in time.")); }
                catch (HttpRequestException) { return new Sent(null, new ExecuteFailure(ErrorCodes.UpstreamError, 502, $"{toolkit.Name} broke off its answer.")); }
                catch (IOException) { return new Sent(null, new ExecuteFailure(ErrorCodes.UpstreamError, 502, $"{toolkit.Name} broke off its answer.")); }
            }
            if (bytes.Length > ToolRunner.MaxResponseSize) return new Sent(null, tooLarge);
            bytes = secrets.Scrub(bytes);

            var headers = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!ProxyRules.IsReturned(name)) continue;
                var value = string.Join(", ", values);
                if (!secrets.Holds(value)) headers[name.ToLowerInvariant()] = value;
            }

            JsonNode? body = null;
            string? base64 = null;
            if (bytes.Length > 0 && method != "HEAD")
            {
                var (json, encoding) = ProxyRules.Kind(response.Content.Headers.ContentType);
                string? text = null;
                if (encoding is not null)
                    // Scrubbed again once decoded: a provider that declares another charset (UTF-16, Latin-1) would
                    // otherwise carry an echoed credential past the UTF-8 byte scrub.
                    try { text = secrets.Scrub(encoding.GetString(bytes)); }
                    catch (DecoderFallbackException) { }
                if (text is not null && json)
                    try { body = JsonNode.Parse(text); }
                    catch (JsonException) { body = JsonValue.Create(text); }
                else if (text is not null && !text.Contains('\0')) body = JsonValue.Create(text);
                else base64 = Convert.ToBase64String(bytes);
            }
            var status = (int)response.StatusCode;
            return new Sent(new ProxyResult(status, headers, body, base64, ""), null,
                RateLimit: status == 403 && ProviderRateLimitHandler.IsRateLimited(response));
        }
    }

    /// <summary>Reads at most <paramref name="max"/> + 1 bytes: one more than allowed says the answer is too large.</summary>
    private static async Task<byte[]> ReadCappedAsync(HttpContent content, int max, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > max) break;
        }
        return buffer.ToArray();
    }

    /// <summary>The request as the log keeps it: method, URL before credentials were added, and the caller's forwarded headers.</summary>
    private static string Describe(string method, Uri url, IReadOnlyDictionary<string, string>? headers)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        var text = new StringBuilder(ToolRunner.Describe(request));
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) text.Append('\n').Append(name).Append(": ").Append(value);
        return text.ToString();
    }

    private void Log(Call call, Toolkit toolkit, string tool, Connection connection, string executionId, long started, int? status, string? errorCode,
        string? request, string? response)
    {
        log.Add(new ExecutionRecord
        {
            Id = executionId, AppId = call.AppId, UserId = call.UserId, ToolName = tool, ToolkitSlug = toolkit.Slug, ConnectionId = connection.Id,
            Source = call.Source, Successful = errorCode is null, ErrorCode = errorCode, UpstreamStatus = status,
            DurationMs = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds, Request = request, Response = response,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        log.Touch(connection.Id);
    }

    private static ExecuteFailure Invalid(IReadOnlyList<ApiErrorDetail> details) =>
        new(ErrorCodes.InvalidRequest, 422, "The request cannot be sent through the proxy: see details. Nothing was sent.", details);

    /// <summary>
    /// The connection's secret values as they could come back in an answer: as sent, percent-encoded (a paging link that
    /// repeats an api-key query parameter) and JSON-escaped (`\/`). Values shorter than 8 characters are not scrubbed:
    /// replacing them would mangle ordinary text, and no provider issues credentials that short.
    /// </summary>
    private sealed class Secrets
    {
        private const int MinLength = 8;
        private static readonly byte[] Mark = "[redacted]"u8.ToArray();
        private readonly HashSet<string> _values = new(StringComparer.Ordinal);

        public Secrets(Toolkit toolkit, StoredCredentials credentials) => Add(toolkit, credentials);

        public void Add(Toolkit toolkit, StoredCredentials credentials)
        {
            var secretFields = (toolkit.Fields ?? []).Where(f => f.Secret || f.In is not null).Select(f => f.Name).ToHashSet();
            IEnumerable<string?> values =
            [
                credentials.AccessToken, credentials.RefreshToken, credentials.ApiKey, credentials.Password,
                credentials.Username is not null && credentials.Password is not null
                    ? Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")) : null,
                .. (credentials.Fields ?? []).Where(f => secretFields.Contains(f.Key)).Select(f => f.Value),
                // Extras that are credentials (Slack's user_access_token), not identifiers such as Discord's guild id.
                .. (credentials.Extra ?? []).Where(e => e.Key.Contains("token", StringComparison.OrdinalIgnoreCase)
                    || e.Key.Contains("secret", StringComparison.OrdinalIgnoreCase)).Select(e => e.Value),
            ];
            lock (_values)
                foreach (var value in values)
                {
                    if (value is null || value.Length < MinLength) continue;
                    _values.Add(value);
                    _values.Add(Uri.EscapeDataString(value));
                    _values.Add(value.Replace("/", "\\/", StringComparison.Ordinal));
                }
        }

        private string[] Values() { lock (_values) return _values.OrderByDescending(v => v.Length).ToArray(); }

        public bool Holds(string text) => Values().Any(v => text.Contains(v, StringComparison.Ordinal));

        public string Scrub(string text)
        {
            foreach (var value in Values()) text = text.Replace(value, "[redacted]", StringComparison.Ordinal);
            return text;
        }

        public byte[] Scrub(byte[] bytes)
        {
            foreach (var value in Values())
            {
                var needle = Encoding.UTF8.GetBytes(value);
                if (bytes.AsSpan().IndexOf(needle) < 0) continue;
                using var output = new MemoryStream(bytes.Length);
                var rest = bytes.AsSpan();
                int at;
                while ((at = rest.IndexOf(needle)) >= 0)
                {
                    output.Write(rest[..at]);
                    output.Write(Mark);
                    rest = rest[(at + needle.Length)..];
                }
                output.Write(rest);
                bytes = output.ToArray();
            }
            return bytes;
        }
    }
}
