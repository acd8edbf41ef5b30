using System.Text.Json;
using Butterbase.Portal.Api;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Butterbase.Portal.Apps;

/// <summary>`/v1/{appId}/settings` and `/v1/{appId}/auth/user-token`.</summary>
public static class AppsApi
{
    public static RouteGroupBuilder MapAppsApi(this RouteGroupBuilder app)
    {
        app.MapGet("/settings", GetSettings).RequireAuthorization(ApiPolicies.AppAdmin);
        app.MapPatch("/settings", PatchSettings).RequireAuthorization(ApiPolicies.AppAdmin);
        app.MapPost("/auth/user-token", CreateUserToken).RequireAuthorization(ApiPolicies.AppAdmin).Validate<UserTokenRequest>();
        return app;
    }

    public static async Task<Results<Ok<AppSettings>, JsonHttpResult<ApiError>>> GetSettings(string appId, AppRegistry apps, CancellationToken ct)
    {
        var app = await apps.FindAsync(appId, ct);
        return app is null ? ApiErrors.NotFound(ErrorCodes.NotFound, "No such app.") : TypedResults.Ok(AppSettings.From(app));
    }

    /// <summary>Fields present in the body replace the current ones; absent fields are kept; `"jwt": null` removes the issuer.</summary>
    public static async Task<Results<Ok<AppSettings>, JsonHttpResult<ApiError>>> PatchSettings(
        string appId, JsonElement body, AppRegistry apps, IValidator<AppSettings> validator, CancellationToken ct)
    {
        var app = await apps.FindAsync(appId, ct);
        if (app is null) return ApiErrors.NotFound(ErrorCodes.NotFound, "No such app.");
        if (body.ValueKind != JsonValueKind.Object)
            return ApiErrors.Result(400, ErrorCodes.InvalidJson, "The body must be a JSON object.");

        var settings = AppSettings.From(app);
        var problems = new List<ApiErrorDetail>();
        if (body.TryGetProperty("name", out var name))
        {
            if (name.ValueKind == JsonValueKind.String) settings = settings with { Name = name.GetString()! };
            else problems.Add(new("name", "Must be a string."));
        }
        if (body.TryGetProperty("allowed_redirect_urls", out var urls))
        {
            if (urls.ValueKind == JsonValueKind.Array && urls.EnumerateArray().All(u => u.ValueKind == JsonValueKind.String))
                settings = settings with { AllowedRedirectUrls = urls.EnumerateArray().Select(u => u.GetString()!).ToList() };
            else problems.Add(new("allowed_redirect_urls", "Must be an array of URL strings."));
        }
        if (body.TryGetProperty("jwt", out var jwt))
        {
            if (jwt.ValueKind == JsonValueKind.Null) settings = settings with { Jwt = null };
            else if (jwt.ValueKind == JsonValueKind.Object)
                settings = settings with { Jwt = new JwtSettings(Text(jwt, "issuer"), Text(jwt, "jwks_url"), Text(jwt, "audience")) };
            else problems.Add(new("jwt", "Must be an object { issuer, jwks_url, audience } or null."));
        }
        if (problems.Count > 0) return ApiErrors.Validation(problems);

        var result = await validator.ValidateAsync(settings, ct);
        if (!result.IsValid) return ApiErrors.Validation(ValidationFilter<AppSettings>.Details(result));

        var saved = await apps.SaveSettingsAsync(appId, settings, ct);
        return TypedResults.Ok(AppSettings.From(saved!));
    }

    private static string Text(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    public sealed record UserTokenRequest(string UserId, int? ExpiresIn);

    public sealed class UserTokenRequestValidator : AbstractValidator<UserTokenRequest>
    {
        public UserTokenRequestValidator()
        {
            RuleFor(x => x.UserId).NotEmpty().WithMessage("Give the end user's id.").MaximumLength(128)
                .Matches("^[A-Za-z0-9_.@:|+-]+$").WithMessage("Use letters, digits and _ . @ : | + - only.")
                .OverridePropertyName("userId");
            RuleFor(x => x.ExpiresIn).InclusiveBetween(60, 86_400).When(x => x.ExpiresIn is not null)
                .WithMessage("expiresIn is in seconds, from 60 to 86400.").OverridePropertyName("expiresIn");
        }
    }

    public sealed record UserTokenResponse(
        [property: System.Text.Json.Serialization.JsonPropertyName("access_token")] string AccessToken,
        [property: System.Text.Json.Serialization.JsonPropertyName("token_type")] string TokenType,
        [property: System.Text.Json.Serialization.JsonPropertyName("expires_in")] int ExpiresIn);

    public static async Task<Results<Ok<UserTokenResponse>, JsonHttpResult<ApiError>>> CreateUserToken(
        string appId, UserTokenRequest request, AppRegistry apps, UserTokens tokens, CancellationToken ct)
    {
        var app = await apps.FindAsync(appId, ct);
        if (app is null) return ApiErrors.NotFound(ErrorCodes.NotFound, "No such app.");
        var lifetime = request.ExpiresIn ?? 3600;
        var jwt = tokens.Mint(app, request.UserId, TimeSpan.FromSeconds(lifetime));
        return TypedResults.Ok(new UserTokenResponse(jwt, "Bearer", lifetime));
    }
}
