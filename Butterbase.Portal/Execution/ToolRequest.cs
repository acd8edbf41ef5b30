using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Api;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Execution;

/// <summary>
/// A builder's bail-out where a parameter turns out unsendable deep inside it (a path segment, a header value, a JSON-text
/// parameter). It never leaves a builder: <see cref="ToolRequest.Attempt{T}"/> is the one place it becomes an
/// <see cref="ExecuteFailure"/> (422; the execute and proxy paths word it their way).
/// </summary>
internal class InvalidToolParameter(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// The parameters are fine but the connection (or the server's toolkit settings) lacks a credential the call needs: a
/// field of the toolkit's address, Discord's bot token. Becomes 409 connection_incomplete: the fix is the connection's or
/// the operator's, not the caller's parameters.
/// </summary>
internal sealed class ConnectionIncomplete(string field, string message) : InvalidToolParameter(field, message);

/// <summary>
/// Turns a declarative tool and validated parameters into the provider's HTTP request. Path parameters are
/// escaped and may not climb out of the path; the URL must stay under the toolkit's API base URL (no SSRF);
/// the caller's own headers are never forwarded, only the tool's declared header parameters.
/// </summary>
public static class ToolRequest
{
    private static readonly HashSet<string> ForbiddenHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Cookie", "Host", "Content-Length", "Transfer-Encoding", "Connection", "Proxy-Authorization",
        "Proxy-Connection", "Upgrade", "Te", "Trailer", "Keep-Alive", "X-Forwarded-For", "X-Forwarded-Host",
    };

    /// <summary>
    /// Runs a builder (a declarative or coded tool's request, the proxy's URL) and answers its value or the failure that
    /// ends the call: the builders' bail-outs stop here, so the runners read as steps (docs/architecture.md "Execute").
    /// </summary>
    /// <param name="invalid">How this path words an unsendable parameter (execute: invalid_params; proxy: invalid_request).</param>
    internal static Step<T> Attempt<T>(Func<T> build, Func<ApiErrorDetail, ExecuteFailure> invalid) where T : class
    {
        try { return build(); }
        catch (ConnectionIncomplete e) { return ExecuteFailure.Of(ErrorCodes.ConnectionIncomplete, e.Message, [new ApiErrorDetail(e.Field, e.Message)]); }
        catch (InvalidToolParameter e) { return invalid(new ApiErrorDetail(e.Field, e.Message)); }
    }

    public static HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var baseUrl = ResolveFields(apiBaseUrl, credentials);
        var (path, literalQuery) = SplitTemplate(tool.Path);
        var query = new List<KeyValuePair<string, string>>();
        var headers = new List<KeyValuePair<string, string>>();
        var body = new JsonObject();
        JsonNode? wholeBody = null;

        foreach (var (name, value) in parameters)
        {
            if (value is null) continue; // an optional parameter left out
            var wire = tool.WireNames?.GetValueOrDefault(name) ?? name;
            var node = tool.Json?.Contains(name) == true ? ParseJson(name, value) : value;
            switch (tool.In.GetValueOrDefault(name, "body"))
            {
                case "path":
                    var placeholder = "{" + wire + "}";
                    if (literalQuery?.Contains(placeholder) == true) literalQuery = literalQuery.Replace(placeholder, Uri.EscapeDataString(Scalar(node)));
                    if (path.Contains(placeholder)) path = path.Replace(placeholder, PathSegment(name, node));
                    break;
                case "query" when tool.DeepObject?.Contains(name) == true:
                    AddDeepObject(query, wire, node, depth: 0);
                    break;
                case "query" when node is JsonObject members && tool.FormObject?.Contains(name) == true:
                    // OpenAPI form + explode: the object's members are the pairs (deeper objects as JSON text)
                    foreach (var (member, memberValue) in members)
                        if (memberValue is not null) AddRepeated(query, member, memberValue);
                    break;
                case "query" when node is JsonArray list && tool.Delimited?.GetValueOrDefault(name) is { } separator:
                    // the provider's API wants one list: `opt_fields=name,gid`
                    if (list.Any(i => i is not null)) query.Add(new(wire, string.Join(separator, list.OfType<JsonNode>().Select(Scalar))));
                    break;
                case "query":
                    AddRepeated(query, wire, node);
                    break;
                case "header":
                    if (!ForbiddenHeaders.Contains(wire)) headers.Add(new(wire, NoControlCharacters(name, Scalar(node))));
                    break;
                default:
                    // Nulls in a JSON-text parameter are the caller's own (Notion removes a database column and clears a
                    // property value with null); only schema-typed values carry strict mode's "left out" nulls.
                    var sent = tool.Json?.Contains(name) == true ? node.DeepClone() : WithoutNulls(node.DeepClone());
                    if (tool.BodyKey == name) wholeBody = sent;
                    else body[wire] = sent;
                    break;
            }
        }

        // CR/LF in a query value is escaped, not injected, but no provider wants it and some proxies decode before
        // forwarding: refused like headers (docs/security.md [34]). Names too: deepObject and form members come from the caller.
        foreach (var (key, value) in query)
        {
            NoControlCharacters(QueryParameterOf(key, tool), key);
            NoControlCharacters(QueryParameterOf(key, tool), value);
        }

        var url = baseUrl.TrimEnd('/') + path;
        // The template's own query pairs first (a placeholder nobody filled drops its pair), then the query parameters.
        var pairs = (literalQuery?.Split('&') ?? []).Where(p => p.Length > 0 && !p.Contains('{'))
            .Concat(query.Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value))).ToList();
        if (pairs.Count > 0) url += "?" + string.Join("&", pairs);
        var uri = new Uri(url);
        var root = new Uri(baseUrl.TrimEnd('/') + "/");
        // The request must stay on the toolkit's declared host and under its base path.
        if (uri.Scheme != root.Scheme || !string.Equals(uri.Host, root.Host, StringComparison.OrdinalIgnoreCase) || uri.Port != root.Port
            || !(uri.AbsolutePath + "/").StartsWith(root.AbsolutePath, StringComparison.Ordinal))
            throw new InvalidToolParameter("params", "The parameters would send the request outside the toolkit's API.");

        var request = new HttpRequestMessage(new HttpMethod(tool.Method), uri);
        // A toolkit whose address takes a connection's fields (a self-hosted server's host) is called where a tenant said.
        if (apiBaseUrl.Contains('{')) request.Options.Set(Outbound.OutboundPolicy.TenantChosenHost, true);
        foreach (var (key, value) in toolkit.Headers ?? []) request.Headers.TryAddWithoutValidation(key, value); // the catalog's, fixed
        foreach (var (key, value) in headers) AddHeader(request, key, value, key);
        var content = wholeBody ?? (body.Count > 0 ? body : null);
        if (content is not null) request.Content = Content(tool.ContentType, content);
        Authenticate(request, toolkit, credentials);
        return request;
    }

    /// <summary>OpenAPI form style with explode, the default: `key=value`, an array's items repeated (`id=1&amp;id=2`), nulls skipped.</summary>
    private static void AddRepeated(List<KeyValuePair<string, string>> query, string key, JsonNode node)
    {
        if (node is not JsonArray items) query.Add(new(key, Scalar(node)));
        else foreach (var item in items) if (item is not null) query.Add(new(key, Scalar(item)));
    }

    /// <summary>
    /// OpenAPI deepObject style, as Stripe/Rails/PHP read it: an object's members as `name[key]=value` (nested:
    /// `name[a][b]=`), an array's items as `name[]=item`, nulls (optional members left out) skipped.
    /// </summary>
    private static void AddDeepObject(List<KeyValuePair<string, string>> query, string key, JsonNode node, int depth)
    {
        if (depth > 10) throw new InvalidToolParameter(key, "This parameter is nested too deeply.");
        switch (node)
        {
            case JsonObject members:
                foreach (var (member, value) in members)
                    if (value is not null) AddDeepObject(query, $"{key}[{member}]", value, depth + 1);
                break;
            case JsonArray items:
                var index = 0;
                foreach (var item in items)
                {
                    if (item is JsonObject or JsonArray) AddDeepObject(query, $"{key}[{index}]", item, depth + 1);
                    else if (item is not null) query.Add(new($"{key}[]", Scalar(item)));
                    index++;
                }
                break;
            default:
                query.Add(new(key, Scalar(node)));
                break;
        }
    }

    /// <summary>
    /// A tool's path template as path and literal query: `#…` is dropped (OpenAPI path keys use it to tell apart
    /// operations on one URL, e.g. Box's `PUT /files/{file_id}#add_shared_link`; a fragment is never sent, and a query
    /// appended after it would not be either) and `?…` is the template's own query (`/templates/{id}?full=true`).
    /// </summary>
    private static (string Path, string? Query) SplitTemplate(string template)
    {
        var hash = template.IndexOf('#');
        if (hash >= 0) template = template[..hash];
        var question = template.IndexOf('?');
        return question < 0 ? (template, null) : (template[..question], template[(question + 1)..]);
    }

    /// <summary>
    /// Another call of the same execute (a multi-call tool's next step, a forced refresh's second send) carries the first
    /// one's options: its connection and app (the circuit breaker it counts against, <see cref="ProviderCircuit"/>), whether
    /// a tenant chose its host (the outbound policy), its toolkit (whose quirks read the answer).
    /// </summary>
    public static void CopyOptions(HttpRequestMessage from, HttpRequestMessage to)
    {
        var options = (IDictionary<string, object?>)to.Options;
        foreach (var (key, value) in from.Options) options[key] = value;
    }

    /// <summary>Puts the connection's credentials on the request the way its scheme says.</summary>
    public static void Authenticate(HttpRequestMessage request, Toolkit toolkit, StoredCredentials credentials)
    {
        switch (credentials.Scheme)
        {
            case AuthSchemes.OAuth2 or AuthSchemes.Bearer:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credentials.AccessToken);
                break;
            case AuthSchemes.Basic:
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));
                break;
            case AuthSchemes.ApiKey:
                var scheme = toolkit.Auth.FirstOrDefault(a => a.Type == AuthSchemes.ApiKey);
                var value = (scheme?.Prefix ?? "") + credentials.ApiKey;
                if (scheme?.In == "query")
                {
                    var separator = request.RequestUri!.Query.Length > 0 ? "&" : "?";
                    request.RequestUri = new Uri(request.RequestUri + separator + Uri.EscapeDataString(scheme.Name!) + "=" + Uri.EscapeDataString(value));
                }
                else AddHeader(request, scheme?.Name ?? "X-API-Key", value, "api_key", credential: true);
                break;
        }
        // Second credentials some APIs need beside the key (fields with "in": header|query).
        foreach (var field in toolkit.Fields ?? [])
        {
            if (field.In is null || credentials.Fields?.GetValueOrDefault(field.Name) is not { } extra) continue;
            if (field.In == "header") AddHeader(request, field.Name, extra, field.Name, credential: true);
            else
            {
                var separator = request.RequestUri!.Query.Length > 0 ? "&" : "?";
                request.RequestUri = new Uri(request.RequestUri + separator + Uri.EscapeDataString(field.Name) + "=" + Uri.EscapeDataString(extra));
            }
        }
        // What a provider's quirk adds to its own calls (xero_tenant: the organisation header), never anyone else's.
        foreach (var quirk in Connections.Quirks.ProviderQuirks.Of(toolkit)) quirk.PrepareApiRequest(request, credentials);
    }

    /// <summary>
    /// The value, unless it holds a control character (C0 but tab, or DEL): CR/LF in a header would add headers or
    /// smuggle a second request to the provider with the connection's credentials (docs/security.md [34]).
    /// </summary>
    internal static string NoControlCharacters(string parameter, string value) =>
        HasControlCharacter(value)
            ? throw new InvalidToolParameter(parameter, "This value contains a control character (line break, NUL, …), which cannot be sent in a header or query.")
            : value;

    internal static bool HasControlCharacter(string value)
    {
        foreach (var c in value)
            if (c < ' ' && c != '\t' || c == '\u007f') return true;
        return false;
    }

    /// <summary>The tool parameter a query pair came from (deepObject `name[key]` and form members map back to theirs).</summary>
    private static string QueryParameterOf(string key, ToolDefinition tool)
    {
        var bracket = key.IndexOf('[');
        var wire = bracket > 0 ? key[..bracket] : key;
        return tool.WireNames?.FirstOrDefault(p => p.Value == wire).Key ?? wire;
    }

    /// <summary>
    /// Adds a header with no control character in it (what makes injection possible). A tool parameter goes through
    /// .NET's header validation as well (a value it refuses is a 422). A stored credential is sent as issued: API keys
    /// in `Authorization` without a scheme (`abc/def+==`) are not .NET's idea of that header but are what the provider
    /// expects; one with a control character is a connection problem (409). Content headers a tool may declare
    /// (Content-Type) are not request headers and are skipped as before.
    /// </summary>
    private static void AddHeader(HttpRequestMessage request, string name, string value, string parameter, bool credential = false)
    {
        if (credential)
        {
            if (HasControlCharacter(value))
                throw new ConnectionIncomplete(parameter, "A stored credential contains a control character; reconnect with the value as issued.");
            request.Headers.TryAddWithoutValidation(name, value);
            return;
        }
        NoControlCharacters(parameter, value);
        try { request.Headers.Add(name, value); }
        catch (InvalidOperationException) { } // a content header name (Content-Type): the body sets its own
        catch (FormatException) { throw new InvalidToolParameter(parameter, "This value cannot be sent as an HTTP header."); }
    }

    internal static string ResolveFields(string baseUrl, StoredCredentials credentials)
    {
        foreach (var (name, value) in credentials.Fields ?? [])
            baseUrl = baseUrl.Replace("{" + name + "}", value);
        if (baseUrl.Contains('{'))
            throw new ConnectionIncomplete("connection", "The connection lacks a value this toolkit's address needs; reconnect it and fill in every field.");
        return baseUrl;
    }

    /// <summary>One escaped path segment; values that could climb out of the path are refused (docs/security.md [16]).</summary>
    private static string PathSegment(string name, JsonNode value)
    {
        var text = Scalar(value);
        var decoded = Uri.UnescapeDataString(text);
        if (text.Length == 0 || decoded is "." or ".." || decoded.Contains("../") || decoded.Contains("..\\") || decoded.StartsWith("//") || decoded.StartsWith('@')
            || decoded.Contains("://") || decoded.Contains('@') && decoded.Contains('/') || decoded.Any(char.IsControl))
            throw new InvalidToolParameter(name, "This value cannot be used in the request path.");
        return Uri.EscapeDataString(text);
    }

    /// <summary>
    /// Drops null members of objects at every depth: in strict-mode schemas a null is how an optional field is
    /// left out, and providers (Notion, Asana) reject explicit nulls where they expect nothing.
    /// </summary>
    internal static JsonNode WithoutNulls(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Where(p => p.Value is null).Select(p => p.Key).ToList()) obj.Remove(key);
                foreach (var (_, child) in obj) if (child is not null) WithoutNulls(child);
                break;
            case JsonArray array:
                foreach (var item in array) if (item is not null) WithoutNulls(item);
                break;
        }
        return node;
    }

    private static string Scalar(JsonNode value) => value switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        _ => value.ToJsonString(),
    };

    /// <summary>A JSON-text parameter's value (FORMAT.md `json`): its text parsed, or the caller's error naming it.</summary>
    internal static JsonNode ParseJson(string name, JsonNode value)
    {
        try { return JsonNode.Parse(Scalar(value)) ?? throw new JsonException(); }
        catch (JsonException) { throw new InvalidToolParameter(name, "This parameter takes a JSON value, as a string; it is not valid JSON."); }
    }

    private static HttpContent Content(string? contentType, JsonNode body)
    {
        switch (contentType)
        {
            case "application/x-www-form-urlencoded" when body is JsonObject form:
                return new FormUrlEncodedContent(form.Where(p => p.Value is not null).Select(p => new KeyValuePair<string, string>(p.Key, Scalar(p.Value!))));
            case "multipart/form-data" when body is JsonObject parts:
                var multipart = new MultipartFormDataContent();
                foreach (var (key, value) in parts) if (value is not null) multipart.Add(new StringContent(Scalar(value)), key);
                return multipart;
            default:
                var json = new StringContent(body.ToJsonString(), Encoding.UTF8);
                json.Headers.ContentType = new MediaTypeHeaderValue(contentType is { Length: > 0 } t && t.Contains("json") ? t : "application/json") { CharSet = "utf-8" };
                return json;
        }
    }
}
