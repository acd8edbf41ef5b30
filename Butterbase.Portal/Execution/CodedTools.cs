using System.Text;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Execution;

/// <summary>
/// What a tool run produced, before it is wrapped in the API's result envelope. <see cref="Scopes"/>: on
/// insufficient_scope, the scopes the provider said it wanted (Slack's `needed`, GitHub's X-Accepted-OAuth-Scopes).
/// </summary>
public sealed record ToolOutcome(bool Successful, JsonNode? Data, string? ErrorCode = null, string? ErrorMessage = null, IReadOnlyList<string>? Scopes = null);

/// <summary>
/// A curated tool whose request or result needs real work (docs/architecture.md "Providers and the catalog").
/// It builds the provider request from validated parameters and reads the provider's answer.
/// The implementations live in <c>Execution/Tools/</c>, one file per provider.
/// </summary>
public abstract class CodedTool
{
    public abstract IEnumerable<string> Names { get; }

    public abstract HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl);

    /// <summary>
    /// Why this call may not be made with these credentials (answered 403 forbidden before the request is sent), or
    /// null. A tool acting with a credential shared between tenants checks here that the target is the caller's own.
    /// </summary>
    public virtual Task<string?> RefuseAsync(JsonObject parameters, StoredCredentials credentials, string apiBaseUrl, HttpClient http, CancellationToken ct) =>
        Task.FromResult<string?>(null);

    /// <summary>
    /// Sends the built request. A tool that needs several provider calls (read the original before replying, upload
    /// then complete) makes the later ones here through <paramref name="send"/> — the same policed client, so each call
    /// meets the outbound policy — and answers the response the result is read from. Requests it makes it disposes.
    /// </summary>
    public virtual Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, Func<HttpRequestMessage, Task<HttpResponseMessage>> send, CancellationToken ct) =>
        send(request);

    /// <summary>
    /// A follow-up call of a multi-call tool (or of <see cref="GoogleDriveDownloadHandler"/>'s two), with the first call's
    /// headers (its credentials among them) and options.
    /// </summary>
    protected internal static HttpRequestMessage FollowUp(HttpRequestMessage first, HttpMethod method, string url, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        foreach (var (name, values) in first.Headers) request.Headers.TryAddWithoutValidation(name, values);
        ToolRequest.CopyOptions(first, request);
        return request;
    }

    /// <summary>An answer made up by a multi-call tool (a step refused before the provider was called again).</summary>
    protected static HttpResponseMessage Answer(HttpRequestMessage request, int status, JsonNode body) => new((System.Net.HttpStatusCode)status)
    {
        RequestMessage = request,
        Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
    };

    /// <summary>Reads a 2xx answer; the default passes the provider's JSON through.</summary>
    public virtual ToolOutcome Read(JsonNode? body) => new(true, body);

    protected static string? Text(JsonObject parameters, string name) =>
        parameters[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    protected static bool Flag(JsonObject parameters, string name) =>
        parameters[name] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    protected static IEnumerable<string> Strings(JsonObject parameters, string name) =>
        parameters[name] is JsonArray items
            ? items.OfType<JsonValue>().Select(i => i.TryGetValue<string>(out var s) ? s : null).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!)
            : [];

    /// <summary>A declarative request with the given parameters and an optional replacement body.</summary>
    protected static HttpRequestMessage Declarative(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl, JsonNode? body = null)
    {
        var request = ToolRequest.Build(toolkit, tool with { In = tool.In.Where(p => p.Value != "body").ToDictionary() },
            new JsonObject(parameters.Where(p => tool.In.GetValueOrDefault(p.Key) is "path" or "query" or "header").Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))),
            credentials, apiBaseUrl);
        if (body is not null) request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        return request;
    }

    /// <summary>
    /// Adds fixed query parameters a provider needs beside the tool's own (names are written as given, so OData's
    /// <c>$top</c> stays readable; values are escaped). Null values are left out.
    /// </summary>
    protected static void AddQuery(HttpRequestMessage request, params (string Name, string? Value)[] pairs)
    {
        var added = string.Join("&", pairs.Where(p => p.Value is not null).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)));
        if (added.Length == 0) return;
        var uri = request.RequestUri!.ToString();
        request.RequestUri = new Uri(uri + (uri.Contains('?') ? "&" : "?") + added);
    }
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject source, Action<JsonObject> change)
    {
        var copy = (JsonObject)source.DeepClone();
        change(copy);
        return copy;
    }
}
