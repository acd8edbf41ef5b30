using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Butterbase.Portal.Api;

namespace Butterbase.Portal.Execution;

/// <summary>
/// What a proxy request may ask for, checked before anything is sent (docs/security.md "Proxy"): methods, the caller
/// headers that pass, a path that stays under the connection's API base, query values. Each problem is a detail of
/// `422 invalid_request`.
/// </summary>
public static class ProxyRules
{
    public static readonly IReadOnlySet<string> Methods = new HashSet<string>(StringComparer.Ordinal) { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE" };

    /// <summary>
    /// Caller headers that are forwarded: content negotiation, conditional requests, ranges, idempotency and the API
    /// version headers providers select behaviour with. Everything else is refused, not dropped, so a caller learns at
    /// once: credentials (Authorization, Cookie, Proxy-*, any X-…-Token or key header) come only from the connection,
    /// Host and hop-by-hop headers belong to the connection to the provider, and trace context (traceparent, tracestate,
    /// baggage) is not carried across tenants (docs/security.md [16]). Accept-Encoding is left out: the answer is returned
    /// as the provider sent it, and a compressed body would come back as base64.
    /// </summary>
    public static readonly IReadOnlySet<string> ForwardedHeaders = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Accept", "Accept-Language", "Content-Type", "Content-Language",
        "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range", "Range",
        "Prefer", "Idempotency-Key",
        "X-GitHub-Api-Version", "Notion-Version", "LinkedIn-Version", "X-Restli-Protocol-Version", "Stripe-Version",
        "Intercom-Version", "Square-Version", "Dropbox-API-Arg",
    };

    /// <summary>
    /// Provider answer headers returned to the caller: what describes the body, caching, paging and rate limits. Never
    /// Set-Cookie, WWW-Authenticate or anything else a provider might put session material in; a kept header whose value
    /// holds one of the connection's secrets is dropped as well.
    /// </summary>
    private static readonly HashSet<string> ReturnedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Type", "Content-Language", "Content-Disposition", "Content-Range", "Accept-Ranges",
        "ETag", "Last-Modified", "Cache-Control", "Expires", "Age", "Date", "Link", "Location", "Retry-After",
        "X-Request-Id", "Request-Id", "X-GitHub-Request-Id", "X-OAuth-Scopes", "X-Accepted-OAuth-Scopes", "X-Total-Count",
    };

    private static readonly string[] ReturnedPrefixes = ["X-RateLimit-", "X-Rate-Limit-", "RateLimit"];

    public static bool IsReturned(string header) =>
        ReturnedHeaders.Contains(header) || ReturnedPrefixes.Any(p => header.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    public const int MaxPathLength = 2048;
    public const int MaxHeaders = 32;
    public const int MaxHeaderValueLength = 4096;

    /// <summary>The path (relative, or absolute on the API base's origin) split in its parts, or why it cannot be used.</summary>
    public sealed record Target(Uri? Absolute, string Path, string? Query);

    /// <summary>
    /// Checks a path as the caller wrote it. Refused: control characters (CR/LF, NUL, tab, also percent-encoded),
    /// backslashes, fragments, `//host`, other schemes, `.` and `..` segments in any spelling (`%2e%2e`, `%252e%252e`,
    /// `..;`, `．．` (full-width, which NFKC-normalising servers read as dots)). An absolute `http(s)://` URL is returned
    /// for the caller to match against the API base; its userinfo is refused.
    /// </summary>
    public static (Target? Target, ApiErrorDetail? Problem) CheckPath(string path)
    {
        ApiErrorDetail Refuse(string message) => new("path", message);
        if (path.Length > MaxPathLength) return (null, Refuse($"At most {MaxPathLength} characters."));
        if (ToolRequest.HasControlCharacter(path) || path.Contains('\t')) return (null, Refuse("The path contains a control character (line break, NUL, tab…)."));
        if (path.Contains('\\')) return (null, Refuse("Backslashes are not allowed in the path."));
        if (path.Contains('#')) return (null, Refuse("A fragment (#…) is never sent; leave it out."));

        Uri? absolute = null;
        var relative = path;
        if (path.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || path.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(path, UriKind.Absolute, out absolute)) return (null, Refuse("Not a valid URL."));
            if (absolute.UserInfo.Length > 0 || path[(path.IndexOf("://", StringComparison.Ordinal) + 3)..].Split('/', '?')[0].Contains('@'))
                return (null, Refuse("A URL with user information (user@host) is not allowed."));
            // The checks below read the path as written: Uri has already folded its dot segments.
            var afterScheme = path[(path.IndexOf("://", StringComparison.Ordinal) + 3)..];
            var start = afterScheme.IndexOfAny(['/', '?']);
            relative = start < 0 ? "/" : afterScheme[start..];
        }
        else if (path.StartsWith("//", StringComparison.Ordinal))
            return (null, Refuse("A path starting with // names another host; give a path relative to the API base."));
        else if (System.Text.RegularExpressions.Regex.IsMatch(path, "^[A-Za-z][A-Za-z0-9+.-]*:"))
            return (null, Refuse("Only http(s) URLs on the toolkit's API host, or paths relative to it, are allowed."));

        var question = relative.IndexOf('?');
        var pathPart = question < 0 ? relative : relative[..question];
        var query = question < 0 ? null : relative[(question + 1)..];
        if (!pathPart.StartsWith('/')) pathPart = "/" + pathPart;
        if (Traverses(pathPart) is { } why) return (null, Refuse(why));
        if (query is not null && Decodings(query).Any(ToolRequest.HasControlCharacter))
            return (null, Refuse("The query contains an encoded control character (line break, NUL…)."));
        return (new Target(absolute, pathPart, query), null);
    }

    /// <summary>The text and what it becomes after up to three rounds of percent-decoding (servers and proxies that decode again).</summary>
    private static IEnumerable<string> Decodings(string text)
    {
        yield return text;
        for (var round = 0; round < 3; round++)
        {
            var decoded = Uri.UnescapeDataString(text);
            if (decoded == text) yield break;
            yield return text = decoded;
        }
    }

    private static string? Traverses(string path)
    {
        foreach (var form in Decodings(path))
        {
            if (ToolRequest.HasControlCharacter(form) || form.Contains('\t')) return "The path contains an encoded control character (line break, NUL…).";
            foreach (var candidate in new[] { form, Folded(form) })
            {
                if (candidate.Contains('\\')) return "The path contains an encoded or look-alike backslash.";
                if (candidate.StartsWith("//", StringComparison.Ordinal)) return "The path would name another host (//…).";
                foreach (var segment in candidate.Split('/'))
                {
                    var name = segment.Split(';')[0]; // `..;/` is `..` to Tomcat and Spring
                    if (name is "." or "..") return "The path may not contain . or .. segments (in any encoding): it must stay under the API base.";
                }
            }
        }
        return null;
    }

    /// <summary>
    /// The characters NFKC folds into `.`, `/` or `\` (full-width and small forms, leaders), folded by hand: the server runs
    /// with invariant globalization, where string.Normalize leaves non-ASCII text as it is.
    /// </summary>
    private static string Folded(string text) => text
        .Replace('\uFF0E', '.').Replace('\uFE52', '.').Replace('\u2024', '.').Replace("\u2025", "..", StringComparison.Ordinal)
        .Replace("\u2026", "...", StringComparison.Ordinal).Replace('\uFF0F', '/').Replace('\uFF3C', '\\').Replace('\uFE68', '\\');

    /// <summary>The query object as pairs: strings, numbers and booleans; arrays of them repeat the key; nulls are left out.</summary>
    public static (List<KeyValuePair<string, string>> Pairs, List<ApiErrorDetail> Problems) QueryPairs(JsonElement? query)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        var problems = new List<ApiErrorDetail>();
        if (query is not { } q || q.ValueKind == JsonValueKind.Null) return (pairs, problems);
        if (q.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new("query", "query is an object of names to strings, numbers, booleans or arrays of them."));
            return (pairs, problems);
        }
        foreach (var property in q.EnumerateObject())
        {
            var field = $"query.{property.Name}";
            if (property.Name.Length == 0 || ToolRequest.HasControlCharacter(property.Name))
            {
                problems.Add(new(field, "A query name may not be empty or contain control characters."));
                continue;
            }
            IEnumerable<JsonElement> values = property.Value.ValueKind == JsonValueKind.Array ? property.Value.EnumerateArray().ToList() : [property.Value];
            foreach (var value in values)
            {
                string? text = value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString(),
                    JsonValueKind.Number => value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Null => null,
                    _ => "\0",
                };
                if (text == "\0") problems.Add(new(field, "Query values are strings, numbers, booleans or arrays of them."));
                else if (text is not null && ToolRequest.HasControlCharacter(text)) problems.Add(new(field, "This value contains a control character (line break, NUL…)."));
                else if (text is not null) pairs.Add(new(property.Name, text));
            }
        }
        return (pairs, problems);
    }

    /// <summary>The caller's headers if every one may pass, else why not (nothing is sent when any is refused).</summary>
    public static List<ApiErrorDetail> CheckHeaders(IReadOnlyDictionary<string, string>? headers)
    {
        var problems = new List<ApiErrorDetail>();
        if (headers is null) return problems;
        if (headers.Count > MaxHeaders) problems.Add(new("headers", $"At most {MaxHeaders} headers."));
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            var field = $"headers.{name}";
            if (!ForwardedHeaders.Contains(name))
                problems.Add(new(field, $"This header is not forwarded. Allowed: {string.Join(", ", ForwardedHeaders.Order(StringComparer.OrdinalIgnoreCase))}. "
                    + "Credentials come from the connection; Authorization, Cookie, Host, Proxy-* and trace context never pass."));
            else if (!seen.Add(name)) problems.Add(new(field, "This header is named twice."));
            else if (value is null || ToolRequest.HasControlCharacter(value))
                problems.Add(new(field, "This value contains a control character (line break, NUL…), which cannot be sent in a header."));
            else if (!Ascii.IsValid(value))
                problems.Add(new(field, "Header values are ASCII (HTTP sends nothing else reliably); escape other characters as the provider documents."));
            else if (value.Length > MaxHeaderValueLength) problems.Add(new(field, $"At most {MaxHeaderValueLength} characters."));
            else if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) && !MediaTypeHeaderValue.TryParse(value, out _))
                problems.Add(new(field, "Not a media type (e.g. application/json)."));
        }
        return problems;
    }

    /// <summary>How the answer's bytes come back: parsed JSON, text, or (null, null) for base64.</summary>
    public static (bool Json, Encoding? Text) Kind(MediaTypeHeaderValue? contentType)
    {
        var media = contentType?.MediaType?.ToLowerInvariant();
        Encoding? charset = null;
        if (contentType?.CharSet is { Length: > 0 } name)
            try { charset = Encoding.GetEncoding(name.Trim('"')); }
            catch (ArgumentException) { return (false, null); } // a charset we cannot read: the bytes as they are
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        if (media is null) return (false, utf8); // no type: text when it decodes, else base64
        if (media is "application/json" or "text/json" || media.EndsWith("+json", StringComparison.Ordinal)) return (true, charset ?? utf8);
        if (media.StartsWith("text/", StringComparison.Ordinal) || media.EndsWith("+xml", StringComparison.Ordinal)
            || media is "application/xml" or "application/javascript" or "application/x-www-form-urlencoded" or "application/x-ndjson" or "application/graphql")
            return (false, charset ?? utf8);
        return (false, null);
    }

    internal static string Upper(string slug) => slug.ToUpper(CultureInfo.InvariantCulture).Replace('-', '_');
}
