using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using OpenIddict.Validation.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Butterbase.Portal.Sandbox;

/// <summary>
/// The built-in Sandbox provider (docs/architecture.md "The Sandbox"): a real OAuth 2.0 authorization server (OpenIddict:
/// code + PKCE S256, rotating refresh tokens, revocation) with a consent page, and a tiny messages API behind it,
/// all under `/sandbox/`. Enabled by `Butterbase:Sandbox:Enabled`; when off nothing is registered or mapped.
/// </summary>
public static class SandboxSetup
{
    public static void AddSandbox(this WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetSection(SandboxOptions.Section).Get<SandboxOptions>() is not { Enabled: true }) return;
        var services = builder.Services;
        services.AddOptions<SandboxOptions>().BindConfiguration(SandboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddToolkitSettings(); // the Sandbox's client id and secret may be configured
        // OpenIddict logs whole protocol messages at Information (state, code, code_verifier, tokens): warnings and
        // errors only, whatever the configured default (docs/security.md [3], [26]).
        builder.Logging.AddFilter("OpenIddict", LogLevel.Warning);

        if (DatabaseOptions.From(builder.Configuration).UsesPostgres)
        {
            services.AddDbContext<PostgresSandboxDb>((sp, options) => options.UseNpgsql(
                sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.PostgresConnectionString,
                pg => pg.MigrationsHistoryTable(SandboxDb.MigrationsHistoryTable)));
            services.AddScoped<SandboxDb>(sp => sp.GetRequiredService<PostgresSandboxDb>());
        }
        else
        {
            services.AddDbContext<SandboxDb>((sp, options) => options.UseSqlite(
                DatabaseSetup.SqliteConnectionString(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value, sp.GetRequiredService<IHostEnvironment>().ContentRootPath),
                sqlite => sqlite.MigrationsHistoryTable(SandboxDb.MigrationsHistoryTable)));
        }
        services.AddSingleton<SandboxClient>();
        services.AddSingleton<ISandboxClient>(sp => sp.GetRequiredService<SandboxClient>());
        services.AddSingleton<SandboxStats>();
        services.AddHostedService<SandboxInitializer>();

        services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<SandboxDb>())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris("sandbox/connect/authorize")
                    .SetTokenEndpointUris("sandbox/connect/token")
                    .SetRevocationEndpointUris("sandbox/connect/revoke")
                    // Discovery stays under /sandbox too: the portal's own origin root is not this provider's.
                    .SetConfigurationEndpointUris("sandbox/.well-known/openid-configuration")
                    .SetJsonWebKeySetEndpointUris("sandbox/.well-known/jwks");

                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange()
                    .AllowRefreshTokenFlow()
                    // Strict rotation: a refresh token works once, with no reuse window, so a duplicated refresh in
                    // the portal shows up as invalid_grant in tests instead of being papered over.
                    .SetRefreshTokenReuseLeeway(null);
                server.RegisterScopes(SandboxScopes.MessagesRead, SandboxScopes.MessagesWrite, Scopes.OfflineAccess);

                // Tokens are Data Protection payloads under the portal's key ring, which is persisted in the database:
                // access and refresh tokens survive a restart. OpenIddict still insists on JWT keys (identity tokens,
                // which the Sandbox never issues without `openid`); ephemeral ones do, and die with the process.
                server.UseDataProtection();
                server.AddEphemeralEncryptionKey().AddEphemeralSigningKey();

                server.RemoveEventHandler(OpenIddictServerHandlers.Authentication.ValidateClientRedirectUri.Descriptor);
                server.AddEventHandler(SandboxRedirectUriValidation.Descriptor);
                server.AddEventHandler(SandboxGrantRevocation.Descriptor);
                server.AddEventHandler(SandboxStatsRecorder.TokenDescriptor);
                server.AddEventHandler(SandboxStatsRecorder.RevocationDescriptor);

                server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    // A sandbox for `dotnet run` and tests over plain http on loopback; TLS is the reverse proxy's job.
                    .DisableTransportSecurityRequirement();
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.UseDataProtection();
                // After UseLocalServer (which resets it): revoked grants and tokens stop working at once, not at expiry.
                validation.EnableAuthorizationEntryValidation().EnableTokenEntryValidation();
                // The Authorization header only: tokens in query strings end up in logs and browser history.
                validation.UseAspNetCore().DisableAccessTokenExtractionFromQueryString().DisableAccessTokenExtractionFromBodyForm();
            });

        // Read when OpenIddict first needs its options, so tests that set the lifetime late still get it.
        services.AddOptions<OpenIddictServerOptions>().Configure<IOptions<SandboxOptions>>((options, sandbox) =>
        {
            options.AccessTokenLifetime = TimeSpan.FromSeconds(sandbox.Value.AccessTokenLifetimeSeconds);
            // client_secret_post only (the catalog's `clientAuth: post`), S256 only (plain PKCE protects nothing).
            options.ClientAuthenticationMethods.Clear();
            options.ClientAuthenticationMethods.Add(ClientAuthenticationMethods.ClientSecretPost);
            options.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain);
        });
    }

    /// <summary>Maps the consent page and the Sandbox API, if <see cref="AddSandbox"/> registered the Sandbox.</summary>
    public static void MapSandbox(this WebApplication app)
    {
        if (app.Services.GetService<SandboxClient>() is null) return;
        app.MapSandboxConsent();
        app.MapSandboxApi();
    }

    internal static string ValidationScheme => OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;
}

/// <summary>Migrates <see cref="SandboxDb"/> and registers the portal's client before the server starts listening.</summary>
internal sealed class SandboxInitializer(IServiceProvider services, SandboxClient client) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SandboxDb>();
        await db.Database.MigrateIfPendingAsync(cancellationToken);
        await client.RegisterAsync(scope.ServiceProvider, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
