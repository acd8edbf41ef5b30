using Butterbase.Portal.Api;
using Butterbase.Portal.Catalog;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Butterbase.Portal.Toolkits;

/// <summary>`POST /configure`, `DELETE /configure/{toolkit}`, `GET /configure` (docs/api.md "Toolkit configuration").</summary>
public static class ToolkitsApi
{
    public static RouteGroupBuilder MapToolkitsApi(this RouteGroupBuilder integrations)
    {
        integrations.MapPost("/configure", Configure).RequireAuthorization(ApiPolicies.AppAdmin).Validate<ConfigureRequest>();
        integrations.MapDelete("/configure/{toolkit}", Disable).RequireAuthorization(ApiPolicies.AppAdmin);
        integrations.MapGet("/configure", List);
        return integrations;
    }

    public sealed record ClientCredentials(string? ClientId, string? ClientSecret);

    /// <param name="AuthorizeParams">Extra authorize parameters over the catalog's ("" removes one); {} back to the catalog's.</param>
    public sealed record ConfigureRequest(string? Toolkit, string? DisplayName, List<string>? Scopes, string? AuthScheme, ClientCredentials? Credentials,
        Dictionary<string, string>? AuthorizeParams = null);

    /// <summary>The protocol's own authorize parameters: fixed by the flow, never set by an app.</summary>
    private static readonly HashSet<string> ProtocolParams = new(StringComparer.OrdinalIgnoreCase)
        { "response_type", "client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method", "nonce", "request", "request_uri" };

    public sealed class ConfigureRequestValidator : AbstractValidator<ConfigureRequest>
    {
        public ConfigureRequestValidator()
        {
            RuleFor(x => x.Toolkit).NotEmpty().WithMessage("Name the toolkit to configure, e.g. \"gmail\".").OverridePropertyName("toolkit");
            RuleFor(x => x.DisplayName).MaximumLength(100).OverridePropertyName("displayName");
            RuleFor(x => x.Scopes).Must(s => s is null || s.Count <= 100).WithMessage("At most 100 scopes.").OverridePropertyName("scopes");
            RuleForEach(x => x.Scopes).Must(s => !string.IsNullOrWhiteSpace(s) && s.Length <= 300 && !s.Any(char.IsWhiteSpace))
                .WithMessage("A scope is one non-empty word of at most 300 characters.").OverridePropertyName("scopes");
            RuleFor(x => x.AuthorizeParams).Must(p => p is null || p.Count <= 10).WithMessage("At most 10 authorize parameters.").OverridePropertyName("authorizeParams");
            RuleForEach(x => x.AuthorizeParams).OverrideIndexer((_, _, p, _) => $"[{p.Key}]") // authorizeParams[state]
                .Must(p => p.Key.Length is > 0 and <= 64 && p.Key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') && !ProtocolParams.Contains(p.Key))
                .WithMessage("A parameter name is letters, digits, _ - . (at most 64), and not one the protocol sets (state, scope, redirect_uri, …).")
                .Must(p => p.Value is not null && p.Value.Length <= 200 && !p.Value.Any(char.IsControl))
                .WithMessage("A parameter value is at most 200 characters, without control characters.").OverridePropertyName("authorizeParams");
            RuleFor(x => x.AuthScheme).Must(a => a is null or AuthSchemes.OAuth2 or AuthSchemes.ApiKey or AuthSchemes.Basic or AuthSchemes.Bearer)
                .WithMessage("authScheme is one of oauth2, api_key, basic, bearer.").OverridePropertyName("authScheme");
            When(x => x.Credentials is not null, () =>
            {
                RuleFor(x => x.Credentials!.ClientId).NotEmpty().MaximumLength(500).WithMessage("Give your OAuth app's client id.").OverridePropertyName("credentials.clientId");
                RuleFor(x => x.Credentials!.ClientSecret).NotEmpty().MaximumLength(2000).WithMessage("Give your OAuth app's client secret.").OverridePropertyName("credentials.clientSecret");
            });
        }
    }

    public sealed record ConfigRow(Guid Id, string AppId, string ToolkitSlug, bool Enabled, string DisplayName, IReadOnlyList<string> Scopes,
        string AuthScheme, string Credentials, DateTime CreatedAt, DateTime UpdatedAt, IReadOnlyDictionary<string, string>? AuthorizeParams)
    {
        public static ConfigRow From(ToolkitConfig c) => new(c.Id, c.AppId, c.ToolkitSlug, c.Enabled, c.DisplayName, c.Scopes, c.AuthScheme,
            c.ClientId is null ? "managed" : "custom", c.CreatedAt, c.UpdatedAt, c.AuthorizeParams);
    }

    public sealed record ConfigList(IReadOnlyList<ConfigRow> Items);

    public static async Task<Results<JsonHttpResult<ConfigRow>, JsonHttpResult<ApiError>>> Configure(
        string appId, ConfigureRequest request, ToolkitCatalog catalog, ToolkitConfigs configs, CancellationToken ct)
    {
        var toolkit = catalog.Find(request.Toolkit!);
        if (toolkit is null) return ApiErrors.NotFound(ErrorCodes.UnknownToolkit, $"There is no toolkit '{request.Toolkit}'. Search the catalog with GET /available.");
        if (request.AuthScheme is { } scheme && toolkit.Auth.All(a => a.Type != scheme))
            return ApiErrors.Validation([new("authScheme", $"{toolkit.Name} supports {string.Join(", ", ToolkitCatalog.AuthSchemeNames(toolkit))}.")]);
        var effective = request.AuthScheme ?? toolkit.DefaultAuth.Type;
        if (request.Credentials is not null && effective != AuthSchemes.OAuth2)
            return ApiErrors.Validation([new("credentials", "Client credentials apply to OAuth 2 toolkits only.")]);

        var row = await configs.ConfigureAsync(appId, new ToolkitConfigs.Change(toolkit, request.DisplayName, request.Scopes,
            request.AuthScheme, request.Credentials?.ClientId, request.Credentials?.ClientSecret, AuthorizeParams: request.AuthorizeParams), ct);
        return TypedResults.Json(ConfigRow.From(row), ApiJson.Snake);
    }

    public static async Task<Results<JsonHttpResult<ConfigRow>, JsonHttpResult<ApiError>>> Disable(
        string appId, string toolkit, ToolkitCatalog catalog, ToolkitConfigs configs, CancellationToken ct)
    {
        if (catalog.Find(toolkit) is null) return ApiErrors.NotFound(ErrorCodes.UnknownToolkit, $"There is no toolkit '{toolkit}'.");
        var row = await configs.DisableAsync(appId, toolkit, ct);
        return row is null
            ? ApiErrors.NotFound("toolkit_not_configured", $"'{toolkit}' is not configured for this app.")
            : TypedResults.Json(ConfigRow.From(row), ApiJson.Snake);
    }

    public static async Task<JsonHttpResult<ConfigList>> List(string appId, ToolkitConfigs configs, CancellationToken ct) =>
        TypedResults.Json(new ConfigList((await configs.ListAsync(appId, ct)).Select(ConfigRow.From).ToList()), ApiJson.Snake);
}
