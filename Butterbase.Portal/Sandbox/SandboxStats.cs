namespace Butterbase.Portal.Sandbox;

/// <summary>
/// What the Sandbox's token endpoint has answered since start, so tests of the portal's refresh logic can assert
/// "exactly one refresh" (e.g. N concurrent tool calls behind an expired token cause one refresh grant).
/// Every answered request counts, granted or refused: a duplicate refresh is visible even when rotation makes it fail.
/// </summary>
public sealed class SandboxStats
{
    private long _tokenRequests;
    private long _codeGrants;
    private long _refreshGrants;
    private long _refusedRefreshGrants;
    private long _revocations;

    /// <summary>Requests answered by `/sandbox/connect/token`, any grant, any outcome.</summary>
    public long TokenRequests => Interlocked.Read(ref _tokenRequests);
    /// <summary>`authorization_code` grants answered (granted or refused).</summary>
    public long CodeGrants => Interlocked.Read(ref _codeGrants);
    /// <summary>`refresh_token` grants answered (granted or refused).</summary>
    public long RefreshGrants => Interlocked.Read(ref _refreshGrants);
    /// <summary>`refresh_token` grants refused (e.g. `invalid_grant` for a rotated or revoked refresh token).</summary>
    public long RefusedRefreshGrants => Interlocked.Read(ref _refusedRefreshGrants);
    /// <summary>Requests answered by `/sandbox/connect/revoke`.</summary>
    public long Revocations => Interlocked.Read(ref _revocations);

    internal void TokenAnswered(string? grantType, bool refused)
    {
        Interlocked.Increment(ref _tokenRequests);
        if (grantType == OpenIddict.Abstractions.OpenIddictConstants.GrantTypes.AuthorizationCode)
            Interlocked.Increment(ref _codeGrants);
        if (grantType != OpenIddict.Abstractions.OpenIddictConstants.GrantTypes.RefreshToken) return;
        Interlocked.Increment(ref _refreshGrants);
        if (refused) Interlocked.Increment(ref _refusedRefreshGrants);
    }

    internal void RevocationAnswered() => Interlocked.Increment(ref _revocations);

    /// <summary>Back to zero, for a test that measures one phase.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _tokenRequests, 0);
        Interlocked.Exchange(ref _codeGrants, 0);
        Interlocked.Exchange(ref _refreshGrants, 0);
        Interlocked.Exchange(ref _refusedRefreshGrants, 0);
        Interlocked.Exchange(ref _revocations, 0);
    }
}
