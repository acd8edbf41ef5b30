namespace Butterbase.Portal.Catalog;

/// <summary>
/// How a user connects a toolkit (<c>auth[].type</c> in the catalog, <c>AuthScheme</c> on configs, requests and
/// connections, <c>Scheme</c> on stored credentials): the values the data and the API use, named once.
/// </summary>
public static class AuthSchemes
{
    public const string OAuth2 = "oauth2";
    public const string ApiKey = "api_key";
    public const string Basic = "basic";
    public const string Bearer = "bearer";
}
