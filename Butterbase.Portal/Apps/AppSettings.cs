using System.Text.Json.Serialization;
using FluentValidation;

namespace Butterbase.Portal.Apps;

/// <summary>`GET/PATCH /v1/{appId}/settings` and the portal's settings form.</summary>
public sealed record AppSettings(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("allowed_redirect_urls")] IReadOnlyList<string> AllowedRedirectUrls,
    [property: JsonPropertyName("jwt")] JwtSettings? Jwt)
{
    public static AppSettings From(App app) => new(
        app.Name,
        app.AllowedRedirectUrls,
        app.JwtIssuer is null ? null : new JwtSettings(app.JwtIssuer, app.JwtJwksUrl ?? "", app.JwtAudience ?? ""));
}

public sealed record JwtSettings(
    [property: JsonPropertyName("issuer")] string Issuer,
    [property: JsonPropertyName("jwks_url")] string JwksUrl,
    [property: JsonPropertyName("audience")] string Audience);

public sealed class AppSettingsValidator : AbstractValidator<AppSettings>
{
    public const int MaxRedirectUrls = 20;

    public AppSettingsValidator()
    {
        RuleFor(x => x.Name).Must(n => !string.IsNullOrWhiteSpace(n)).WithMessage("Enter a name.")
            .MaximumLength(100).OverridePropertyName("name");
        RuleFor(x => x.AllowedRedirectUrls).Must(l => l.Count <= MaxRedirectUrls)
            .WithMessage($"At most {MaxRedirectUrls} redirect URLs.").OverridePropertyName("allowed_redirect_urls");
        RuleForEach(x => x.AllowedRedirectUrls)
            .Must(url => RedirectUrls.ProblemWithEntry(url) is null)
            .WithMessage((_, url) => RedirectUrls.ProblemWithEntry(url))
            .OverridePropertyName("allowed_redirect_urls");
        RuleFor(x => x.Jwt!).SetValidator(new JwtSettingsValidator()).When(x => x.Jwt is not null).OverridePropertyName("jwt");
    }
}

public sealed class JwtSettingsValidator : AbstractValidator<JwtSettings>
{
    public JwtSettingsValidator()
    {
        RuleFor(x => x.Issuer).NotEmpty().WithMessage("Enter the issuer (the iss claim of your tokens).")
            .MaximumLength(500).OverridePropertyName("issuer");
        RuleFor(x => x.Audience).NotEmpty().WithMessage("Enter the audience (the aud claim your tokens carry).")
            .MaximumLength(500).OverridePropertyName("audience");
        RuleFor(x => x.JwksUrl).Must(BeJwksUrl)
            .WithMessage("Enter the https URL of the issuer's JWKS (http only for localhost).")
            .OverridePropertyName("jwks_url");
    }

    private static bool BeJwksUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
        && string.IsNullOrEmpty(uri.UserInfo);
}
