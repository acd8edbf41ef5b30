using FluentValidation;

namespace Butterbase.Portal.Apps;

public sealed class CreateAppForm
{
    public string Name { get; set; } = "";
}

public sealed class CreateAppFormValidator : AbstractValidator<CreateAppForm>
{
    public CreateAppFormValidator()
    {
        RuleFor(x => x.Name).Must(n => !string.IsNullOrWhiteSpace(n)).WithMessage("Enter a name for the app.")
            .MaximumLength(100).WithMessage("At most 100 characters.");
    }
}

public sealed class CreateApiKeyForm
{
    public string Name { get; set; } = "";
}

public sealed class CreateApiKeyFormValidator : AbstractValidator<CreateApiKeyForm>
{
    public CreateApiKeyFormValidator()
    {
        RuleFor(x => x.Name).Must(n => !string.IsNullOrWhiteSpace(n)).WithMessage("Name the key so you can tell it apart later.")
            .MaximumLength(100).WithMessage("At most 100 characters.");
    }
}

/// <summary>The portal's settings form; validated by the same rules as `PATCH /settings`.</summary>
public sealed class SettingsForm
{
    public string Name { get; set; } = "";
    public List<string> AllowedRedirectUrls { get; set; } = [];
    public string NewRedirectUrl { get; set; } = "";
    public bool UseExternalIssuer { get; set; }
    public string Issuer { get; set; } = "";
    public string JwksUrl { get; set; } = "";
    public string Audience { get; set; } = "";

    public static SettingsForm From(App app) => new()
    {
        Name = app.Name,
        AllowedRedirectUrls = [.. app.AllowedRedirectUrls],
        UseExternalIssuer = app.JwtIssuer is not null,
        Issuer = app.JwtIssuer ?? "",
        JwksUrl = app.JwtJwksUrl ?? "",
        Audience = app.JwtAudience ?? "",
    };

    public AppSettings ToSettings() => new(Name, AllowedRedirectUrls,
        UseExternalIssuer ? new JwtSettings(Issuer, JwksUrl, Audience) : null);
}

public sealed class SettingsFormValidator : AbstractValidator<SettingsForm>
{
    public SettingsFormValidator()
    {
        RuleFor(x => x.ToSettings()).SetValidator(new AppSettingsValidator());
        RuleFor(x => x.NewRedirectUrl).Must(u => RedirectUrls.ProblemWithEntry(u) is null)
            .When(x => !string.IsNullOrWhiteSpace(x.NewRedirectUrl))
            .WithMessage(x => RedirectUrls.ProblemWithEntry(x.NewRedirectUrl) ?? "");
    }
}
