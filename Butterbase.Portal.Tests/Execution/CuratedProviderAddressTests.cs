using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Execution;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// The stand-in tests point each toolkit's API base at loopback; these build requests against the catalog's real
/// addresses: the connection's field fills the provider's host, and a connection without it is refused before anything is sent.
/// </summary>
public sealed class CuratedProviderAddressTests
{
    private static readonly ToolkitCatalog Catalog = new();

    private static HttpRequestMessage Build(string toolName, object parameters, StoredCredentials credentials)
    {
        var (tool, toolkit) = Catalog.FindTool(toolName) ?? throw new Xunit.Sdk.XunitException($"{toolName} is not in the catalog");
        var given = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(parameters))!.AsObject();
        return ToolRequest.Build(toolkit, tool, given, credentials, toolkit.ApiBaseUrl);
    }

    [Theory]
    [InlineData("ZENDESK_GET_TICKET", "subdomain", "https://acme.zendesk.com/api/v2/tickets/35436.json")]
    [InlineData("PIPEDRIVE_GET_DEAL", "company_domain", "https://acme.pipedrive.com/api/v2/deals/35436")]
    public void A_connection_field_names_the_account_host_and_marks_it_tenant_chosen(string tool, string field, string expected)
    {
        var parameters = tool.StartsWith("ZENDESK") ? (object)new { ticket_id = 35436 } : new { id = 35436 };
        using var request = Build(tool, parameters, new StoredCredentials { Scheme = "api_key", ApiKey = "k", Username = "u", Password = "p", Fields = new() { [field] = "acme" } });
        Assert.Equal(expected, request.RequestUri!.ToString());
        Assert.True(request.Options.TryGetValue(Butterbase.Portal.Outbound.OutboundPolicy.TenantChosenHost, out var chosen) && chosen,
            "a host a connection chose goes through the outbound policy as tenant-chosen");
    }

    [Fact]
    public void A_connection_without_the_field_is_incomplete_and_nothing_is_built()
    {
        var missing = Assert.Throws<ConnectionIncomplete>(() => Build("ZENDESK_GET_TICKET", new { ticket_id = 1 }, new StoredCredentials { Scheme = "oauth2", AccessToken = "t" }));
        Assert.Equal("connection", missing.Field);
    }

    [Fact]
    public void Fixed_hosts_and_headers_are_the_providers_real_ones()
    {
        var bearer = new StoredCredentials { Scheme = "oauth2", AccessToken = "t" };
        using var airtable = Build("AIRTABLE_GET_RECORD", new { base_id = "appAbCdEfGhIjKlMn", table = "Engine Parts", record_id = "recA1b2C3d4E5f6G7" }, bearer);
        Assert.Equal("https://api.airtable.com/v0/appAbCdEfGhIjKlMn/Engine%20Parts/recA1b2C3d4E5f6G7", airtable.RequestUri!.AbsoluteUri);

        using var calendly = Build("CALENDLY_GET_SCHEDULED_EVENT", new { uuid = "GBGBDCAADAEDCRZ2" }, bearer);
        Assert.Equal("https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2", calendly.RequestUri!.ToString());

        using var intercom = Build("INTERCOM_GET_CONTACT", new { contact_id = "6657add46abd0167d9419cd2" }, bearer);
        Assert.Equal("https://api.intercom.io/contacts/6657add46abd0167d9419cd2", intercom.RequestUri!.ToString());
        Assert.Equal("2.11", intercom.Headers.GetValues("Intercom-Version").Single());

        var (tool, toolkit) = Catalog.FindTool("MONDAY_GET_ME")!.Value;
        using var monday = new MondayGraphQL().Build(toolkit, tool, new JsonObject(), new StoredCredentials { Scheme = "api_key", ApiKey = "eyJ.token" }, toolkit.ApiBaseUrl);
        Assert.Equal("https://api.monday.com/v2", monday.RequestUri!.ToString());
        Assert.Equal("2026-07", monday.Headers.GetValues("API-Version").Single());
        Assert.Equal("eyJ.token", monday.Headers.GetValues("Authorization").Single());
    }
}
