using System.Security.Cryptography;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Butterbase.Portal.Sandbox;

/// <summary>
/// The portal's client registration at the built-in Sandbox provider. The client id comes from
/// `Butterbase:Toolkits:sandbox:ClientId` (default `butterbase-sandbox`); the secret from
/// `Butterbase:Toolkits:sandbox:ClientSecret`, else one generated at first start and kept in <see cref="SandboxDb"/>
/// (Data Protection-encrypted) so connections made before a restart keep refreshing after it.
/// Ready once the host has started (<see cref="SandboxInitializer"/> runs before the server listens).
/// </summary>
public sealed class SandboxClient(IOptionsMonitor<ToolkitSettingsBySlug> settings) : ISandboxClient
{
    public const string DefaultClientId = "butterbase-sandbox";
    private const string SecretSetting = "client_secret";
    private const string SecretPurpose = "Butterbase.Sandbox.ClientSecret.v1";

    private string? _clientSecret;

    public string ClientId => settings.CurrentValue.For("sandbox").ClientId ?? DefaultClientId;

    public string ClientSecret => _clientSecret
        ?? throw new InvalidOperationException("The Sandbox client is registered when the host starts; it has not started yet.");

    /// <summary>
    /// Creates or updates the one client application (confidential, code + refresh, PKCE required) and removes any
    /// other, so a changed client id or secret takes effect and stale credentials stop working.
    /// </summary>
    internal async Task RegisterAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<SandboxDb>();
        var applications = services.GetRequiredService<IOpenIddictApplicationManager>();
        var secret = settings.CurrentValue.For("sandbox").ClientSecret
            ?? await StoredSecretAsync(db, services.GetRequiredService<IDataProtectionProvider>().CreateProtector(SecretPurpose), ct);

        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = ClientId,
            ClientSecret = secret,
            ClientType = ClientTypes.Confidential,
            ConsentType = ConsentTypes.Explicit,
            DisplayName = "Butterbase",
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.Endpoints.Revocation,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
                Permissions.Prefixes.Scope + SandboxScopes.MessagesRead,
                Permissions.Prefixes.Scope + SandboxScopes.MessagesWrite,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
            // No redirect URIs: the one accepted is derived from the host's origin per request (SandboxRedirectUriValidation).
        };

        await foreach (var other in applications.ListAsync(cancellationToken: ct))
            if (await applications.GetClientIdAsync(other, ct) != ClientId)
                await applications.DeleteAsync(other, ct);

        if (await applications.FindByClientIdAsync(ClientId, ct) is { } existing)
            await applications.UpdateAsync(existing, descriptor, ct);
        else
            await applications.CreateAsync(descriptor, ct);
        _clientSecret = secret;
    }

    private static async Task<string> StoredSecretAsync(SandboxDb db, IDataProtector protector, CancellationToken ct)
    {
        var row = await db.Settings.FirstOrDefaultAsync(s => s.Name == SecretSetting, ct);
        if (row is not null)
        {
            try { return protector.Unprotect(row.Value); }
            catch (CryptographicException)
            {
                // The key ring that protected it is gone: a new secret (applied to the client below) is the only way on;
                // existing sandbox connections fail their next refresh and are reconnected.
            }
        }
        var secret = Ids.Secret(40);
        if (row is null) db.Settings.Add(new SandboxSetting { Name = SecretSetting, Value = protector.Protect(secret) });
        else row.Value = protector.Protect(secret);
        await db.SaveChangesAsync(ct);
        return secret;
    }
}

/// <summary>The scopes the Sandbox API understands.</summary>
public static class SandboxScopes
{
    public const string MessagesRead = "messages.read";
    public const string MessagesWrite = "messages.write";
}
