using Butterbase.Portal.Catalog;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace Butterbase.Portal.Connections;

/// <summary>What a connection holds to act for its user. Serialized to JSON and encrypted as one column.</summary>
public sealed record StoredCredentials
{
    public string Scheme { get; init; } = AuthSchemes.OAuth2;
    public string? AccessToken { get; init; }
    public string? RefreshToken { get; init; }
    public string? TokenType { get; init; }
    public DateTime? ExpiresAt { get; init; }
    /// <summary>When the access token was issued (received): with <see cref="ExpiresAt"/>, its lifetime, which sizes the refresh margin.</summary>
    public DateTime? IssuedAt { get; init; }
    public string? ApiKey { get; init; }
    public string? Username { get; init; }
    public string? Password { get; init; }
    /// <summary>Custom connection fields (subdomain, …) the user entered.</summary>
    public Dictionary<string, string>? Fields { get; init; }
    /// <summary>Provider extras worth keeping (Slack's user token, Notion's bot id, …).</summary>
    public Dictionary<string, string>? Extra { get; init; }
}

/// <summary>
/// Encrypts credentials with Data Protection, the purpose bound to app and connection id: a blob copied
/// into another connection's row does not decrypt (docs/security.md [24]).
/// </summary>
public sealed class CredentialProtector(IDataProtectionProvider dataProtection)
{
    private const string Purpose = "Butterbase.Connections.Credentials.v1";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Protect(string appId, string connectionId, StoredCredentials credentials) =>
        dataProtection.CreateProtector(Purpose, appId, connectionId).Protect(JsonSerializer.Serialize(credentials, Json));

    public StoredCredentials Unprotect(string appId, string connectionId, string blob) =>
        JsonSerializer.Deserialize<StoredCredentials>(dataProtection.CreateProtector(Purpose, appId, connectionId).Unprotect(blob), Json)!;

    /// <summary>For secrets that belong to no connection yet (PKCE verifiers, revocation jobs).</summary>
    public IDataProtector For(params string[] purposes) => dataProtection.CreateProtector(Purpose, purposes);
}
