namespace Butterbase.Portal.Apps;

/// <summary>
/// The allow-list check for where end users are sent back after connecting (docs/security.md [7], RFC 9700 §4.1).
/// An allowed entry fixes scheme, host and port exactly and a path prefix on a segment boundary;
/// anything a browser might read differently from us (userinfo, backslashes, encoded separators,
/// control characters) is refused outright rather than normalised.
/// </summary>
public static class RedirectUrls
{
    /// <summary>Why an allow-list entry is unusable, or null when it is fine.</summary>
    public static string? ProblemWithEntry(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return "Enter a URL.";
        if (HasAmbiguousCharacters(url)) return "The URL contains characters that are not allowed (spaces, backslashes, control or encoded separators).";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return "Enter an absolute URL such as https://yourapp.com/settings.";
        if (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
            return "Use https (http is accepted for localhost only).";
        if (!string.IsNullOrEmpty(uri.UserInfo)) return "The URL must not contain a user name or password.";
        if (!string.IsNullOrEmpty(uri.Fragment)) return "The URL must not contain a #fragment.";
        if (uri.Host.Length == 0) return "The URL needs a host.";
        return null;
    }

    /// <summary>True when <paramref name="candidate"/> is covered by one of the allowed entries.</summary>
    public static bool IsAllowed(string? candidate, IEnumerable<string> allowed)
    {
        if (string.IsNullOrEmpty(candidate) || HasAmbiguousCharacters(candidate)) return false;
        if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri)) return false;
        if (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) return false;
        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Fragment)) return false;
        if (!IsNormalPath(uri.AbsolutePath)) return false;

        foreach (var entry in allowed)
        {
            if (!Uri.TryCreate(entry, UriKind.Absolute, out var a)) continue;
            if (a.Scheme != uri.Scheme || a.Port != uri.Port) continue;
            if (!string.Equals(a.IdnHost, uri.IdnHost, StringComparison.OrdinalIgnoreCase)) continue;
            if (PathCovers(a.AbsolutePath, uri.AbsolutePath)) return true;
        }
        return false;
    }

    /// <summary>
    /// False when a segment is a dot segment once read the way some servers read it: `..;` / `.;x` (Tomcat and Jetty drop
    /// `;` path parameters, so `/settings/..;/admin` is `/admin` to them) or percent-encoded (`%2e%2e`, `.%2E`). The
    /// prefix check compares paths, so a path another server would resolve differently must not pass it.
    /// </summary>
    private static bool IsNormalPath(string path)
    {
        foreach (var raw in path.Split('/'))
        {
            var segment = Uri.UnescapeDataString(raw);
            var semicolon = segment.IndexOf(';');
            if (semicolon >= 0) segment = segment[..semicolon];
            if (segment is "." or ".." || segment.Contains('\\') || segment.Contains('/')) return false;
        }
        return true;
    }

    private static bool PathCovers(string allowedPath, string path)
    {
        if (allowedPath is "" or "/") return true;
        if (allowedPath.EndsWith('/')) return path.StartsWith(allowedPath, StringComparison.Ordinal);
        return path == allowedPath || path.StartsWith(allowedPath + "/", StringComparison.Ordinal);
    }

    private static bool HasAmbiguousCharacters(string url)
    {
        foreach (var c in url)
            if (c <= ' ' || c == '\\' || c == 0x7f) return true;
        return url.Contains("%2f", StringComparison.OrdinalIgnoreCase)
            || url.Contains("%5c", StringComparison.OrdinalIgnoreCase)
            || url.Contains("%2e", StringComparison.OrdinalIgnoreCase)
            || url.Contains("%0d", StringComparison.OrdinalIgnoreCase)
            || url.Contains("%0a", StringComparison.OrdinalIgnoreCase)
            || url.Contains("%00", StringComparison.OrdinalIgnoreCase);
    }
}
