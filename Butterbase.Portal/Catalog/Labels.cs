namespace Butterbase.Portal.Catalog;

/// <summary>How catalog codes read in the portal.</summary>
public static class Labels
{
    public static string Category(string category) => category switch
    {
        "ai" => "AI",
        "crm" => "CRM",
        "iot" => "IoT",
        _ => char.ToUpperInvariant(category[0]) + category[1..].Replace('_', ' '),
    };

    public static string Scheme(string scheme) => scheme switch
    {
        AuthSchemes.OAuth2 => "OAuth 2",
        AuthSchemes.ApiKey => "API key",
        AuthSchemes.Basic => "Basic",
        AuthSchemes.Bearer => "Bearer",
        _ => scheme,
    };
}
