using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Butterbase.Portal.Sandbox;

/// <summary>
/// Replaces OpenIddict's registered-redirect-URI check: the Sandbox's one client is this host's own portal, whose
/// callback is `{origin}/v1/oauth/callback/sandbox` with origin the portal's public origin (<see cref="Outbound.PublicOrigin"/>:
/// configured, or the listening address in Development and tests), never the origin a request claims.
/// Exactly that URI is accepted (ordinal comparison, as OAuth 2.1 §2.3.1 requires) and nothing else: a code is never
/// sent to another host. OpenIddict still binds the code to this redirect_uri and checks it at the token endpoint.
/// </summary>
public sealed class SandboxRedirectUriValidation(Outbound.PublicOrigin origin) : IOpenIddictServerHandler<ValidateAuthorizationRequestContext>
{
    public const string CallbackPath = "/v1/oauth/callback/sandbox";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateAuthorizationRequestContext>()
            .UseScopedHandler<SandboxRedirectUriValidation>()
            .SetOrder(OpenIddictServerHandlers.Authentication.ValidateClientRedirectUri.Descriptor.Order)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ValidateAuthorizationRequestContext context)
    {
        var expected = origin.Value + CallbackPath;
        if (string.IsNullOrEmpty(context.RedirectUri))
            context.Reject(Errors.InvalidRequest, "The mandatory 'redirect_uri' parameter is missing.");
        else if (!string.Equals(context.RedirectUri, expected, StringComparison.Ordinal))
            context.Reject(Errors.InvalidRequest, "The specified 'redirect_uri' is not valid for this client application.");
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Revoking a refresh token revokes the whole grant: its authorization and every token issued under it, access tokens
/// included (RFC 7009 §2.1: the server SHOULD invalidate access tokens of the same grant). OpenIddict alone revokes only
/// the token sent. Access tokens are checked against their authorization and token entries by the API's validation.
/// </summary>
public sealed class SandboxGrantRevocation(IOpenIddictAuthorizationManager authorizations, IOpenIddictTokenManager tokens)
    : IOpenIddictServerHandler<HandleRevocationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleRevocationRequestContext>()
            .UseScopedHandler<SandboxGrantRevocation>()
            .SetOrder(OpenIddictServerHandlers.Revocation.RevokeToken.Descriptor.Order + 1_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(HandleRevocationRequestContext context)
    {
        if (context.IsRejected || context.GenericTokenPrincipal?.GetAuthorizationId() is not { Length: > 0 } id) return;
        if (await authorizations.FindByIdAsync(id) is { } authorization)
            await authorizations.TryRevokeAsync(authorization);
        await tokens.RevokeByAuthorizationIdAsync(id);
    }
}

/// <summary>Counts what the token and revocation endpoints answer (<see cref="SandboxStats"/>).</summary>
public sealed class SandboxStatsRecorder(SandboxStats stats)
    : IOpenIddictServerHandler<ApplyTokenResponseContext>, IOpenIddictServerHandler<ApplyRevocationResponseContext>
{
    // First in line: later handlers write the response and end the chain.
    public static OpenIddictServerHandlerDescriptor TokenDescriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyTokenResponseContext>()
            .UseSingletonHandler<SandboxStatsRecorder>()
            .SetOrder(int.MinValue + 50_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public static OpenIddictServerHandlerDescriptor RevocationDescriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ApplyRevocationResponseContext>()
            .UseSingletonHandler<SandboxStatsRecorder>()
            .SetOrder(int.MinValue + 50_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ApplyTokenResponseContext context)
    {
        stats.TokenAnswered(context.Request?.GrantType, refused: !string.IsNullOrEmpty(context.Response.Error));
        return ValueTask.CompletedTask;
    }

    public ValueTask HandleAsync(ApplyRevocationResponseContext context)
    {
        stats.RevocationAnswered();
        return ValueTask.CompletedTask;
    }
}
