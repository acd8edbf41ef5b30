using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Outbound;

/// <summary>`Butterbase:PublicBaseUrl`, the portal's public origin (<see cref="PublicOrigin"/>); bound from the `Butterbase` section.</summary>
public sealed class PublicOriginOptions
{
    public const string Section = "Butterbase";
    public const string SettingKey = "Butterbase:PublicBaseUrl";

    public string? PublicBaseUrl { get; set; }

    /// <summary>The configured origin (scheme, host, port; no trailing slash), or null when the setting is absent or invalid.</summary>
    public string? Origin => Problem(PublicBaseUrl) is null && PublicBaseUrl is { Length: > 0 } text ? new Uri(text).GetLeftPart(UriPartial.Authority) : null;

    /// <summary>Why <paramref name="text"/> is not an origin such as https://integrations.example.com, or null.</summary>
    public static string? Problem(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0
            || !string.IsNullOrEmpty(uri.UserInfo) || uri.PathAndQuery.TrimEnd('/').Length > 0 && uri.PathAndQuery != "/")
            return $"{SettingKey} must be an origin such as https://integrations.example.com (scheme, host and optional port; no path), not '{text}'.";
        return null;
    }
}

/// <summary>A public origin with a path or another scheme stops the host at start, naming the setting.</summary>
public sealed class PublicOriginValidation : IValidateOptions<PublicOriginOptions>
{
    public ValidateOptionsResult Validate(string? name, PublicOriginOptions options) =>
        PublicOriginOptions.Problem(options.PublicBaseUrl) is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
