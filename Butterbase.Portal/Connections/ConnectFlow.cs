using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections.Quirks;
using Butterbase.Portal.Data;
using Butterbase.Portal.Toolkits;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Connections;

/// <summary>
/// Starting a connection (`POST /connect`) and finishing it (the OAuth callback or the hosted connect page).
/// State is random (256 bits), stored hashed, bound to app + user + toolkit, single-use (consumed atomically)
/// and expires in 10 minutes. A crash between exchange and commit leaves either a whole connection or none:
/// the connection and the request's completion are written in one transaction.
/// </summary>
public sealed class ConnectFlow(
    IDbContextFactory<PortalDb> dbFactory,
    ToolkitCatalog catalog,
    ToolkitConfigs configs,
    OAuthProviders providers,
    OAuthClient oauth,
    CredentialProtector protector,
    ConnectionLifecycle lifecycle,
    Outbound.PublicOrigin publicOrigin,
    TimeProvider clock,
    ILogger<ConnectFlow> logger,
    IHttpClientFactory httpClientFactory,
    Outbound.OutboundPolicy outbound)
{
    public static readonly TimeSpan RequestLifetime = TimeSpan.FromMinutes(10);
    /// <summary>Pending requests kept per user and toolkit; starting more drops the oldest (docs/security.md [9]).</summary>
    public const int MaxPendingPerUser = 5;

    public sealed record Started(string AuthUrl, string ConnectionRequestId);

    public sealed record Failure(int Status, string Code, string Message, IReadOnlyList<Api.ApiErrorDetail>? Details = null);

    private const string FieldsPurpose = "connect-fields";

    /// <summary>
    /// The public origin (<see cref="Outbound.PublicOrigin"/>). The request is not consulted: its Host header is the
    /// client's to choose, and callbacks, the Sandbox's URLs and token calls must not follow it (docs/security.md [33]).
    /// </summary>
    public string Origin(HttpRequest request) => publicOrigin.Value;

    public static string CallbackUri(string origin, string slug) => $"{origin}/v1/oauth/callback/{slug}";

    /// <param name="portalRedirect">The portal's own pages ("connect a test user", an agent's connect link): the return URL is
    /// this host's, not the app's allow-list.</param>
    /// <param name="extraScopes">Scopes asked for beside the app's configured (or the toolkit's default) ones: a tool's
    /// missing scope, from a reconnect link (docs/architecture.md "Scopes per tool").</param>
    /// <param name="fields">Connection fields an OAuth toolkit's URLs need (<see cref="OAuthProviders.OAuthFields"/>); checked like the
    /// hosted page's, or the hosted page asks for them before the provider is reached.</param>
    public async Task<(Started? Started, Failure? Failure)> StartAsync(
        App app, string userId, string toolkitSlug, string redirectUrl, string? reconnectId, string origin, CancellationToken ct, bool portalRedirect = false,
        IReadOnlyList<string>? extraScopes = null, IReadOnlyDictionary<string, string>? fields = null)
    {
        // REVIEW: callers still pass an origin (pages pass their NavigationManager's); the configured one wins.
        origin = publicOrigin.Value;
        var toolkit = catalog.Find(toolkitSlug);
        if (toolkit is null) return (null, new(404, "unknown_toolkit", $"There is no toolkit '{toolkitSlug}'."));
        var config = await configs.FindAsync(app.Id, toolkit.Slug, ct);
        if (config is null) return (null, new(409, "toolkit_not_enabled", $"Enable {toolkit.Name} for this app first (POST /configure)."));
        if (!config.Enabled) return (null, new(409, "toolkit_disabled", $"{toolkit.Name} is disabled for this app; configure it again to re-enable it."));
        var allowed = portalRedirect ? [origin + "/apps/" + app.Id + "/", origin + ConnectLinks.DonePath] : app.AllowedRedirectUrls;
        if (!RedirectUrls.IsAllowed(redirectUrl, allowed))
            return (null, new(400, "redirect_url_not_allowed", "redirectUrl is not one of the app's allowed redirect URLs (portal → Settings)."));

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (reconnectId is not null && !await db.Connections.AnyAsync(c => c.Id == reconnectId && c.AppId == app.Id && c.UserId == userId && c.ToolkitSlug == toolkit.Slug, ct))
            return (null, new(404, "connection_not_found", "No such connection for this user and toolkit."));

        var now = clock.GetUtcNow().UtcDateTime;
        var id = Ids.New("ca_", 20);
        string authUrl;
        ConnectionRequest request;
        if (config.AuthScheme == AuthSchemes.OAuth2)
        {
            var asked = providers.OAuthFields(toolkit);
            Dictionary<string, string>? values = null;
            if (fields is { Count: > 0 })
            {
                var (checkedValues, problems) = CheckFields(toolkit, asked, fields);
                if (problems.Count > 0) return (null, new(422, "validation_failed", "The request has invalid fields: see details.", problems));
                values = checkedValues;
            }
            var (provider, problem) = providers.Resolve(toolkit, config, origin, values);
            if (provider is null) return (null, new(409, "toolkit_not_ready", problem!));
            var redirectUri = CallbackUri(origin, toolkit.Slug);
            var scopes = (config.Scopes.Count > 0 ? config.Scopes : provider.DefaultScopes).Union(extraScopes ?? []).ToList();
            if (asked.Count > 0 && values is null)
            {
                // The provider's URLs need the account's host (Zendesk's subdomain): the hosted page asks for it, then
                // sends the user on to the provider (ContinueOAuthAsync). No state exists until then.
                request = new ConnectionRequest
                {
                    Id = id, AppId = app.Id, UserId = userId, ToolkitSlug = toolkit.Slug, AuthScheme = AuthSchemes.OAuth2,
                    RedirectUrl = redirectUrl, OAuthRedirectUri = redirectUri, Scopes = scopes,
                    ConnectionId = reconnectId, CreatedAt = now, ExpiresAt = now + RequestLifetime,
                };
                authUrl = $"{origin}/connect/{id}";
            }
            else
            {
                var state = OAuthClient.NewState();
                // Always PKCE when the provider takes it; a verifier per flow, encrypted at rest, never in a URL.
                var verifier = provider.Pkce ? OAuthClient.NewCodeVerifier() : null;
                request = new ConnectionRequest
                {
                    Id = id, AppId = app.Id, UserId = userId, ToolkitSlug = toolkit.Slug, AuthScheme = AuthSchemes.OAuth2,
                    StateHash = OAuthClient.Hash(state),
                    CodeVerifier = verifier is null ? null : protector.For("pkce", id).Protect(verifier),
                    RedirectUrl = redirectUrl, OAuthRedirectUri = redirectUri, TokenUrl = provider.TokenUrl, Scopes = scopes,
                    Fields = values is null ? null : ProtectFields(id, values),
                    ConnectionId = reconnectId, CreatedAt = now, ExpiresAt = now + RequestLifetime,
                };
                authUrl = OAuthClient.AuthorizeUrl(provider, redirectUri, state, verifier, scopes);
            }
        }
        else if (fields is { Count: > 0 })
        {
            return (null, new(422, "validation_failed", "The request has invalid fields: see details.",
                [new("fields", $"{toolkit.Name} is connected with {config.AuthScheme}: its fields are entered on the connect page (authUrl), with the key.")]));
        }
        else
        {
            request = new ConnectionRequest
            {
                Id = id, AppId = app.Id, UserId = userId, ToolkitSlug = toolkit.Slug, AuthScheme = config.AuthScheme,
                RedirectUrl = redirectUrl, ConnectionId = reconnectId, CreatedAt = now, ExpiresAt = now + RequestLifetime,
            };
            authUrl = $"{origin}/connect/{id}";
        }

        // Bounded: expired requests are swept, and a user holds at most a few pending ones per toolkit.
        await db.ConnectionRequests.Where(r => r.ExpiresAt < now.AddHours(-1)).ExecuteDeleteAsync(ct);
        var pending = await db.ConnectionRequests
            .Where(r => r.AppId == app.Id && r.UserId == userId && r.ToolkitSlug == toolkit.Slug && r.Status == ConnectionRequestStatus.Initiated)
            .OrderByDescending(r => r.CreatedAt).Skip(MaxPendingPerUser - 1).Select(r => r.Id).ToListAsync(ct);
        if (pending.Count > 0) await db.ConnectionRequests.Where(r => pending.Contains(r.Id)).ExecuteDeleteAsync(ct);
        db.ConnectionRequests.Add(request);
        await db.SaveChangesAsync(ct);
        return (new Started(authUrl, id), null);
    }

    /// <summary>
    /// The fields given for an OAuth connect, checked exactly like the hosted connect page's (required, length, control
    /// characters, host labels that cannot move the host: docs/security.md [32]); problems are named `fields.{name}`.
    /// </summary>
    private (Dictionary<string, string> Values, List<Api.ApiErrorDetail> Problems) CheckFields(
        Toolkit toolkit, IReadOnlyList<ConnectionField> asked, IReadOnlyDictionary<string, string> given)
    {
        var problems = given.Keys.Where(k => asked.All(f => f.Name != k))
            .Select(k => new Api.ApiErrorDetail("fields." + k, asked.Count == 0
                ? $"{toolkit.Name}'s OAuth connection takes no fields."
                : $"Not a field of {toolkit.Name}'s OAuth connection; it takes {string.Join(", ", asked.Select(f => f.Name))}.")).ToList();
        var prompt = HostedConnect.FieldsOf(asked, name => providers.IsHostLabel(toolkit, name, oauth: true));
        var values = given.ToDictionary(p => "field." + p.Key, p => p.Value ?? "");
        foreach (var (name, message) in HostedConnect.Check(prompt, values, toolkit, outbound))
            problems.Add(new("fields." + name["field.".Length..], message));
        return (asked.Where(f => given.GetValueOrDefault(f.Name)?.Trim() is { Length: > 0 }).ToDictionary(f => f.Name, f => given[f.Name].Trim()), problems);
    }

    private string ProtectFields(string requestId, Dictionary<string, string> values) =>
        protector.For(FieldsPurpose, requestId).Protect(System.Text.Json.JsonSerializer.Serialize(values));

    private Dictionary<string, string>? UnprotectFields(ConnectionRequest request) => request.Fields is null ? null
        : System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(protector.For(FieldsPurpose, request.Id).Unprotect(request.Fields));

    /// <summary>
    /// The hosted page's second step for an OAuth toolkit whose URLs need fields: with the checked fields, fix the state,
    /// verifier and token endpoint of the request (once: only a request without state) and answer the provider's
    /// authorize URL. Null when the request is gone, used, expired or its toolkit no longer usable.
    /// </summary>
    public async Task<string?> ContinueOAuthAsync(ConnectionRequest request, Toolkit toolkit, Dictionary<string, string> values, CancellationToken ct = default)
    {
        var config = await configs.FindAsync(request.AppId, toolkit.Slug, ct);
        if (config is null || !config.Enabled) return null;
        var (provider, _) = providers.Resolve(toolkit, config, publicOrigin.Value, values);
        if (provider is null) return null;
        var state = OAuthClient.NewState();
        var verifier = provider.Pkce ? OAuthClient.NewCodeVerifier() : null;
        var stateHash = OAuthClient.Hash(state);
        var codeVerifier = verifier is null ? null : protector.For("pkce", request.Id).Protect(verifier);
        var protectedFields = ProtectFields(request.Id, values);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var updated = await db.ConnectionRequests
            .Where(r => r.Id == request.Id && r.Status == ConnectionRequestStatus.Initiated && r.StateHash == null && r.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.StateHash, stateHash).SetProperty(r => r.CodeVerifier, codeVerifier)
                .SetProperty(r => r.TokenUrl, provider.TokenUrl).SetProperty(r => r.Fields, protectedFields), ct);
        return updated == 1 ? OAuthClient.AuthorizeUrl(provider, request.OAuthRedirectUri!, state, verifier, request.Scopes) : null;
    }

    /// <param name="Result">`connected`, the error code the app's redirect carries, or `invalid_state` (no request to return to).</param>
    public sealed record CallbackOutcome(string? RedirectTo, string? ErrorPage, string Result = "invalid_state");

    /// <summary>The OAuth callback: consume the state, exchange the code, learn who connected, store the connection.</summary>
    /// <param name="callbackQuery">The callback's whole query string, for quirks that read more than code and state (QuickBooks' realmId).</param>
    public async Task<CallbackOutcome> CompleteOAuthAsync(string pathToolkit, string? code, string? state, string? error, string? iss, string origin, CancellationToken ct,
        IReadOnlyDictionary<string, string>? callbackQuery = null)
    {
        origin = publicOrigin.Value;
        const string invalid = "This connection link is invalid, expired or was already used. Start connecting again from the app.";
        if (string.IsNullOrEmpty(state)) return new(null, invalid);
        var stateHash = OAuthClient.Hash(state);
        var now = clock.GetUtcNow().UtcDateTime;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Atomic single use: exactly one callback moves the request out of 'initiated' (docs/security.md [1], [2]).
        var consumed = await db.ConnectionRequests
            .Where(r => r.StateHash == stateHash && r.Status == ConnectionRequestStatus.Initiated && r.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, "consuming"), ct);
        if (consumed != 1) return new(null, invalid);
        var request = await db.ConnectionRequests.AsNoTracking().SingleAsync(r => r.StateHash == stateHash, ct);

        async Task<CallbackOutcome> Fail(string errorCode, string? detail = null)
        {
            // The request is 'consuming' (this callback holds it): failed, and `connection_request.failed` in the same transaction.
            await lifecycle.RequestFailedAsync(db, request, errorCode, async () => await db.ConnectionRequests.Where(r => r.Id == request.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, ConnectionRequestStatus.Failed).SetProperty(r => r.Error, errorCode).SetProperty(r => r.CompletedAt, now), ct) == 1, ct);
            if (detail is not null) logger.LogInformation("Connection request {Request} failed: {Error} {Detail}", request.Id, errorCode, detail);
            return new(WithQuery(request.RedirectUrl, ("status", "failed"), ("toolkit", request.ToolkitSlug), ("error", errorCode)), null, errorCode);
        }

        // Mix-up defence (RFC 9700 §4.4): state issued for one toolkit must come back on that toolkit's callback.
        if (pathToolkit != request.ToolkitSlug) return await Fail("toolkit_mismatch");

        var toolkit = catalog.Find(request.ToolkitSlug);
        var config = await configs.FindAsync(request.AppId, request.ToolkitSlug, ct);
        if (toolkit is null || config is null || !config.Enabled) return await Fail("toolkit_disabled");
        var requestFields = UnprotectFields(request);
        var (resolved, problem) = providers.Resolve(toolkit, config, origin, requestFields);
        if (resolved is null) return await Fail("toolkit_not_ready", problem);
        // RFC 9207 §2.4: a provider known to send `iss` must send the right one, on error responses too (checked before
        // acting on `error`, so another server cannot pass its answer off as this one's); a missing one is a mix-up too.
        if (resolved.Issuer is not null && iss != resolved.Issuer) return await Fail("issuer_mismatch");
        if (!string.IsNullOrEmpty(error)) return await Fail(error == "access_denied" ? "access_denied" : "provider_error", error);
        if (string.IsNullOrEmpty(code)) return await Fail("missing_code");
        // The token endpoint is the one fixed when the flow started, never one derived from this request.
        var provider = resolved with { TokenUrl = request.TokenUrl! };

        var verifier = request.CodeVerifier is null ? null : protector.For("pkce", request.Id).Unprotect(request.CodeVerifier);
        var tokens = await oauth.ExchangeCodeAsync(provider, code, request.OAuthRedirectUri!, verifier, ct);
        if (!tokens.Ok) return await Fail(tokens.IsClientError ? "oauth_client_rejected" : "token_exchange_failed", tokens.Error);

        var userInfo = await oauth.UserInfoAsync(provider, tokens.AccessToken!, ct);
        // What the provider's quirks need besides the tokens (a site's cloud id, a data center, a tenant): a connection
        // without it could not make one call, so the connect fails instead (provider_setup_failed).
        var context = new QuirkConnectContext(provider, tokens, userInfo, callbackQuery ?? new Dictionary<string, string>(),
            httpClientFactory.CreateClient(Execution.ToolRunner.HttpClientName), providers.OperatorSettings(toolkit.Slug));
        // The fields given when the connect began (Zendesk's subdomain), then what quirks learn (Pipedrive's company_domain).
        var fields = new Dictionary<string, string>(requestFields ?? []);
        var extras = ProviderExtras(request.ToolkitSlug, tokens) ?? [];
        string? quirkLabel = null;
        foreach (var quirk in provider.Quirks)
        {
            var found = await quirk.AfterConnectAsync(context, ct);
            if (found.Problem is { } setupProblem) return await Fail("provider_setup_failed", $"{quirk.Name}: {setupProblem}");
            foreach (var (key, value) in found.Fields) fields[key] = value;
            foreach (var (key, value) in found.Extras) extras[key] = value;
            quirkLabel ??= found.Label;
        }
        var identity = userInfo is null ? null : provider.Quirks.Select(q => q.ReadIdentity(userInfo)).FirstOrDefault(i => i is not null);
        var (accountId, label) = identity ?? AccountIdentity.From(tokens.Body, userInfo);
        label ??= quirkLabel;
        var credentials = new StoredCredentials
        {
            Scheme = AuthSchemes.OAuth2,
            AccessToken = tokens.AccessToken,
            RefreshToken = tokens.RefreshToken,
            TokenType = tokens.TokenType,
            ExpiresAt = tokens.ExpiresAt,
            IssuedAt = tokens.ExpiresAt is null ? null : now,
            Fields = fields.Count > 0 ? fields : null,
            Extra = extras.Count > 0 ? extras : null,
        };
        var scopes = tokens.Scopes?.ToList() ?? request.Scopes;
        var connectionId = await SaveConnectionAsync(db, request, accountId, label, scopes, credentials, now, ct);
        return new(WithQuery(request.RedirectUrl, ("status", "connected"), ("toolkit", request.ToolkitSlug), ("connectionId", connectionId)), null, "connected");
    }

    /// <summary>
    /// What the token answer carries beside the tokens that later calls need (Slack v2's installing user's token is the
    /// slack_v2 quirk's): Discord's `guild` when the bot scope was granted — the one server the platform's shared bot may
    /// act in for this connection (https://discord.com/developers/docs/topics/oauth2#advanced-bot-authorization).
    /// </summary>
    private static Dictionary<string, string>? ProviderExtras(string toolkitSlug, TokenResult tokens)
    {
        var extras = new Dictionary<string, string>();
        if (toolkitSlug == "discord" && tokens.Body.TryGetValue("guild", out var guild) && guild.ValueKind == System.Text.Json.JsonValueKind.Object
            && guild.TryGetProperty("id", out var id) && id.ValueKind == System.Text.Json.JsonValueKind.String && id.GetString() is { Length: > 0 } g)
            extras[Execution.DiscordBotTool.GuildKey] = g;
        return extras.Count > 0 ? extras : null;
    }

    /// <summary>
    /// Writes the connection (a reconnect or the same provider account updates its row in place; never merged
    /// across users or apps) and completes the request, in one transaction.
    /// </summary>
    internal async Task<string> SaveConnectionAsync(PortalDb db, ConnectionRequest request, string? accountId, string? label,
        List<string> scopes, StoredCredentials credentials, DateTime now, CancellationToken ct)
    {
        // Created or reauthorized is known only inside the transaction (which row the account matches): decided there, and
        // the history event and webhook follow what was decided. Both kinds go through the lifecycle seam.
        var reauthorized = false;
        async Task<(Connection?, string)> Write()
        {
            Connection? connection = null;
            if (request.ConnectionId is not null)
                connection = await db.Connections.FirstOrDefaultAsync(c => c.Id == request.ConnectionId && c.AppId == request.AppId && c.UserId == request.UserId, ct);
            if (connection is null && accountId is not null)
                connection = await db.Connections.FirstOrDefaultAsync(c => c.AppId == request.AppId && c.UserId == request.UserId
                    && c.ToolkitSlug == request.ToolkitSlug && c.AccountId == accountId, ct);
            reauthorized = connection is not null;
            if (connection is null)
            {
                connection = new Connection
                {
                    Id = Ids.New("cn_", 20), AppId = request.AppId, UserId = request.UserId, ToolkitSlug = request.ToolkitSlug, CreatedAt = now,
                };
                db.Connections.Add(connection);
            }
            connection.AuthScheme = request.AuthScheme;
            connection.Status = ConnectionStatus.Active;
            connection.AccountId = accountId ?? connection.AccountId;
            connection.AccountLabel = label ?? connection.AccountLabel;
            connection.Scopes = scopes;
            connection.Credentials = protector.Protect(connection.AppId, connection.Id, credentials);
            connection.ExpiresAt = credentials.ExpiresAt;
            connection.LastError = null;
            connection.UpdatedAt = now;
            connection.Version++;
            await db.SaveChangesAsync(ct);
            await db.ConnectionRequests.Where(r => r.Id == request.Id).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, "connected").SetProperty(r => r.ConnectionId, connection.Id).SetProperty(r => r.CompletedAt, now), ct);
            return (connection, connection.Id);
        }
        return (await lifecycle.ChangeAsync(db, ConnectionChange.Created, Write, label, ct,
            kindAfterWrite: () => reauthorized ? ConnectionChange.Reauthorized : ConnectionChange.Created))!;
    }

    /// <summary>Adds query parameters to the app's redirect URL, keeping what it already had.</summary>
    public static string WithQuery(string url, params (string Key, string Value)[] values) =>
        QueryHelpers.AddQueryString(url, values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)));
}
