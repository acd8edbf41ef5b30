namespace Butterbase.Portal.Connections.Quirks;

/// <summary>
/// `salesforce_instance_url` — a Salesforce org is served from its own instance; the token answer names it:
/// `{access_token, refresh_token, instance_url, id, issued_at, signature, token_type}`, and REST calls go to
/// `{instance_url}/services/data/vXX.X/…` (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm,
/// https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_rest_resources.htm).
/// The instance's host fills the `instance_host` field of the API address; it is called through the outbound policy.
/// </summary>
public sealed class SalesforceInstanceUrl : ProviderQuirk
{
    public override string Name => "salesforce_instance_url";

    public override Task<QuirkFindings> AfterConnectAsync(QuirkConnectContext context, CancellationToken ct) =>
        Task.FromResult(HostOf(OAuthClient.Text(context.Tokens.Body, "instance_url")) is { } host
            ? new QuirkFindings { Fields = { ["instance_host"] = host } }
            : QuirkFindings.Failed("Salesforce's token answer named no instance_url."));
}
