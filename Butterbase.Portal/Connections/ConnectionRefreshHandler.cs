using System.Net;
using System.Net.Http.Headers;

namespace Butterbase.Portal.Connections;

/// <summary>
/// On the provider client (`execution`): when a provider answers 401 to a request that carries a <see cref="ConnectionUse"/>
/// (an OAuth connection with a refresh token) although we thought the token fresh, forces one refresh
/// (<see cref="TokenRefresher"/>, shared with concurrent callers) and sends the request once more with the new token, as
/// Duende.AccessTokenManagement's handler does. The grant found gone marks the use <see cref="ConnectionUse.Expired"/>.
/// It sits outside the resilience pipeline (docs/architecture.md "Execute"), so its second send is a fresh request with
/// its own retries and timeouts. The new token goes only where the old one went: the same request, to the same
/// scheme, host and port, and only in place of the bearer token this connection put there.
/// </summary>
/// <remarks>Without a <see cref="TokenRefresher"/> (a host that registers the client alone, as the bench's in-process timing does) it passes answers through.</remarks>
public sealed class ConnectionRefreshHandler(TokenRefresher? refresher) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (refresher is null || response.StatusCode != HttpStatusCode.Unauthorized || !request.Options.TryGetValue(ConnectionUse.Key, out var use) || !use.CanForceRefresh)
            return response;
        // Our token, as we sent it: anything else (a coded tool's own header, a platform credential) is not ours to replace.
        if (request.Headers.Authorization is not { Scheme: "Bearer" } sent || sent.Parameter != use.Credentials.AccessToken) return response;
        use.Retried = true;
        var refreshed = await refresher.RefreshAsync(use.Connection, use.SpentVersion, use.Origin, cancellationToken);
        if (refreshed.Credentials is not { } fresh)
        {
            use.Expired = refreshed.Expired;
            return response; // the provider's 401 stands (unauthorized), or the grant is gone (connection_expired)
        }
        use.Credentials = fresh;
        use.SpentVersion = -1;
        using var again = Copy(request);
        again.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fresh.AccessToken);
        if (!SameOrigin(again.RequestUri, request.RequestUri)) return response; // cannot happen: a copy; never send a token elsewhere
        response.Dispose();
        return await base.SendAsync(again, cancellationToken);
    }

    private static bool SameOrigin(Uri? a, Uri? b) =>
        a is not null && b is not null && a.Scheme == b.Scheme && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    /// <summary>A new message for the same URL, headers (the bearer replaced by the caller), options and content.</summary>
    private static HttpRequestMessage Copy(HttpRequestMessage request)
    {
        // Every body the execute and proxy paths build is bytes or text in memory (String/ByteArray/FormUrlEncoded/Multipart
        // of those), so the content can be written a second time.
        var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy, Content = request.Content };
        foreach (var (name, values) in request.Headers)
            if (!string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase)) copy.Headers.TryAddWithoutValidation(name, values);
        Execution.ToolRequest.CopyOptions(request, copy);
        return copy;
    }
}
