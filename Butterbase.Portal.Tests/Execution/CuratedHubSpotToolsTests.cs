using System.Net;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class HubSpotToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.HubSpot, new Dictionary<string, string> { ["hubspot"] = "" });

/// <summary>
/// HubSpot CRM v3 tools (https://developers.hubspot.com/docs/api/crm/understanding-the-crm): records are created as
/// `{properties: {...}}` of string values, searched with filterGroups, and errors are
/// `{status: "error", message, correlationId, category}`.
/// </summary>
public sealed partial class CuratedHubSpotToolsTests(HubSpotToolkitFixture hubspot) : IClassFixture<HubSpotToolkitFixture>
{
    private FakeProviderApi Api => hubspot.Api;
    private HubSpotToolkitFixture Kit => hubspot;

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    private static (int, object?, IReadOnlyDictionary<string, string>?) Created(FakeProviderApi.Received r, string id) => (201, Json($$"""
        {"id":"{{id}}","properties":{{r.Json!["properties"]!.ToJsonString()}},"createdAt":"2025-06-01T10:00:00.000Z","updatedAt":"2025-06-01T10:00:00.000Z","archived":false}
        """), null);

    [Fact]
    public async Task Create_contact_merges_flat_parameters_and_the_properties_json_into_string_properties()
    {
        Api.On("POST", "/crm/v3/objects/contacts", r => Created(r, "5101"));
        var data = await hubspot.SucceedsAsync("HUBSPOT_CREATE_CONTACT", new
        {
            email = "ada@example.com",
            firstname = "Ada",
            lastname = "Lovelace",
            properties = """{"lifecyclestage":"lead","hs_lead_status":"NEW","firstname":"ignored","num_employees":12,"interests":["math","engines"]}""",
        });
        Assert.Equal("5101", data.GetProperty("id").GetString());
        Assert.Equal("Lovelace", data.GetProperty("properties").GetProperty("lastname").GetString());

        var sent = hubspot.Received("POST", "/crm/v3/objects/contacts");
        Assert.StartsWith("Bearer CO", sent.Headers["Authorization"]);
        Assert.True(JsonNode.DeepEquals(Json("""
            {"properties":{"lifecyclestage":"lead","hs_lead_status":"NEW","firstname":"Ada","num_employees":"12","interests":"math;engines",
                           "email":"ada@example.com","lastname":"Lovelace"}}
            """), sent.Json), sent.Body);

        var before = Api.Requests.Count;
        var invalid = await JsonAssert.ErrorAsync(await hubspot.PostExecuteAsync("HUBSPOT_CREATE_CONTACT", new { email = "x@example.com", properties = "[1,2]" }),
            HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal("properties", invalid.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Equal(before, Api.Requests.Count);
    }

    [Fact]
    public async Task Create_company_and_deal_send_properties_with_numbers_as_strings()
    {
        Api.On("POST", "/crm/v3/objects/companies", r => Created(r, "9001"));
        Api.On("POST", "/crm/v3/objects/deals", r => Created(r, "7001"));

        await hubspot.SucceedsAsync("HUBSPOT_CREATE_COMPANY", new { name = "Analytical Engines Ltd", domain = "engines.example.com", industry = "COMPUTER_SOFTWARE" });
        Assert.True(JsonNode.DeepEquals(Json("""{"properties":{"name":"Analytical Engines Ltd","domain":"engines.example.com","industry":"COMPUTER_SOFTWARE"}}"""),
            hubspot.Received("POST", "/crm/v3/objects/companies").Json));

        var deal = await hubspot.SucceedsAsync("HUBSPOT_CREATE_DEAL", new { dealname = "Engines renewal", amount = 1500.5, pipeline = "default", dealstage = "appointmentscheduled", closedate = "2025-07-01T00:00:00Z" });
        Assert.Equal("7001", deal.GetProperty("id").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""
            {"properties":{"dealname":"Engines renewal","amount":"1500.5","pipeline":"default","dealstage":"appointmentscheduled","closedate":"2025-07-01T00:00:00Z"}}
            """), hubspot.Received("POST", "/crm/v3/objects/deals").Json));
    }

    [Fact]
    public async Task Search_contacts_companies_and_deals_post_filter_groups_and_paging()
    {
        foreach (var type in new[] { "contacts", "companies", "deals" })
            Api.On("POST", $"/crm/v3/objects/{type}/search", _ => (200, Json("""
                {"total":1,"results":[{"id":"1","properties":{"email":"ada@example.com"},"archived":false}],"paging":{"next":{"after":"1"}}}
                """), null));

        var contacts = await hubspot.SucceedsAsync("HUBSPOT_SEARCH_CONTACTS", new
        {
            filterGroups = new[] { new { filters = new[] { new { propertyName = "email", @operator = "EQ", value = "ada@example.com" } } } },
            properties = new[] { "email", "firstname" },
            limit = 10,
            after = "0",
        });
        Assert.Equal(1, contacts.GetProperty("total").GetInt32());
        var sent = hubspot.Received("POST", "/crm/v3/objects/contacts/search").Json!;
        Assert.Equal("EQ", sent["filterGroups"]![0]!["filters"]![0]!["operator"]!.GetValue<string>());
        Assert.Equal("ada@example.com", sent["filterGroups"]![0]!["filters"]![0]!["value"]!.GetValue<string>());
        Assert.Equal(10, sent["limit"]!.GetValue<int>());
        Assert.Equal("0", sent["after"]!.GetValue<string>());
        Assert.False(sent.AsObject().ContainsKey("query"));

        await hubspot.SucceedsAsync("HUBSPOT_SEARCH_COMPANIES", new { query = "engines", limit = 5 });
        Assert.True(JsonNode.DeepEquals(Json("""{"query":"engines","limit":5}"""), hubspot.Received("POST", "/crm/v3/objects/companies/search").Json));

        await hubspot.SucceedsAsync("HUBSPOT_SEARCH_DEALS", new { sorts = new[] { new { propertyName = "amount", direction = "DESCENDING" } }, properties = new[] { "dealname", "amount" } });
        Assert.True(JsonNode.DeepEquals(Json("""{"properties":["dealname","amount"],"sorts":[{"propertyName":"amount","direction":"DESCENDING"}]}"""),
            hubspot.Received("POST", "/crm/v3/objects/deals/search").Json));
    }

    [Fact]
    public async Task A_hubspot_409_conflict_is_a_failed_result_with_hubspots_message()
    {
        Api.On("POST", "/crm/v3/objects/contacts", _ => (409, Json("""
            {"status":"error","message":"Contact already exists. Existing ID: 5101","correlationId":"b8f0c2a4-3c1e-4a55-9d1e-2f6a7b8c9d0e","category":"CONFLICT"}
            """), null));
        var failed = await hubspot.FailsAsync("HUBSPOT_CREATE_CONTACT", new { email = "ada@example.com" }, "upstream_error", 409);
        Assert.Equal("CONFLICT", failed.GetProperty("data").GetProperty("category").GetString());
        Assert.Contains("Existing ID: 5101", failed.GetProperty("data").GetProperty("message").GetString());
    }
}
