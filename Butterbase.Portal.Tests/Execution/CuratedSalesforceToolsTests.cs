using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// Salesforce's org lives on its own instance: the stand-in's token answer carries `instance_url` (as Salesforce's does:
/// {access_token, refresh_token, instance_url, id, issued_at, signature, token_type}) pointing at the API stand-in, and the
/// toolkit's address is `http://{instance_host}/services/data/v62.0`, filled by the salesforce_instance_url quirk.
/// </summary>
public sealed class SalesforceToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Generic, new Dictionary<string, string> { ["salesforce"] = "/services/data/v62.0" })
{
    protected override void Configure(PortalApplication portal)
    {
        OAuth.Options.ExtraTokenMembers = _ => new Dictionary<string, string>
        {
            ["instance_url"] = Api.BaseUrl,
            ["id"] = "https://login.salesforce.com/id/00D5e000000HEcPEAW/0055e000003ZmnxAAC",
            ["issued_at"] = "1717243200000",
            ["signature"] = "0CmxinZir53Yex7nE0TD+zMpvIWYGb/bdJh6XfOH6EQ=",
        };
        portal.With("Butterbase:Toolkits:salesforce:ApiBaseUrl", "http://{instance_host}/services/data/v62.0");
    }
}

/// <summary>
/// Salesforce REST API v62.0 (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_list.htm):
/// errors are a JSON array `[{message, errorCode, fields?}]`.
/// </summary>
public sealed class CuratedSalesforceToolsTests(SalesforceToolkitFixture salesforce) : IClassFixture<SalesforceToolkitFixture>
{
    private FakeProviderApi Api => salesforce.Api;
    private const string V = "/services/data/v62.0";
    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    [Fact]
    public async Task The_instance_url_from_the_token_answer_is_where_calls_go()
    {
        var stored = await salesforce.Portal.StoredCredentialsAsync(salesforce.App.Id, salesforce.Connections["salesforce"]);
        Assert.Equal(new Uri(Api.BaseUrl).Authority, stored.Fields!["instance_host"]);
        Api.On("GET", V + "/limits", _ => (200, Json("""{"DailyApiRequests":{"Max":15000,"Remaining":14998}}"""), null));
        var limits = await salesforce.SucceedsAsync("SALESFORCE_GET_LIMITS", null);
        Assert.Equal(14998, limits.GetProperty("DailyApiRequests").GetProperty("Remaining").GetInt32());
        Assert.Equal("Bearer " + stored.AccessToken, salesforce.Received("GET", V + "/limits").Headers["Authorization"]);
    }

    [Fact]
    public async Task Soql_query_query_more_and_sosl_search_send_the_statement_as_q()
    {
        Api.On("GET", V + "/query", _ => (200, Json("""
            {"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v62.0/query/01gD0000002HU6KIAW-2000",
             "records":[{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001D000000IqhSLIAZ"},"Id":"001D000000IqhSLIAZ","Name":"Acme"}]}
            """), null));
        Api.On("GET", V + "/query/01gD0000002HU6KIAW-2000", _ => (200, Json("""{"totalSize":3,"done":true,"records":[]}"""), null));
        Api.On("GET", V + "/search", _ => (200, Json("""{"searchRecords":[{"attributes":{"type":"Contact"},"Id":"003D000000QV9n2IAD","Name":"Ada"}]}"""), null));

        var page = await salesforce.SucceedsAsync("SALESFORCE_SOQL_QUERY", new { q = "SELECT Id, Name FROM Account WHERE Industry = 'Energy' LIMIT 10" });
        Assert.False(page.GetProperty("done").GetBoolean());
        Assert.Equal("SELECT Id, Name FROM Account WHERE Industry = 'Energy' LIMIT 10", salesforce.Received("GET", V + "/query").QueryValues["q"].Single());

        var more = await salesforce.SucceedsAsync("SALESFORCE_QUERY_MORE", new { locator = "01gD0000002HU6KIAW-2000" });
        Assert.True(more.GetProperty("done").GetBoolean());

        var found = await salesforce.SucceedsAsync("SALESFORCE_SOSL_SEARCH", new { q = "FIND {Ada*} IN NAME FIELDS RETURNING Contact(Id, Name)" });
        Assert.Equal("Ada", found.GetProperty("searchRecords")[0].GetProperty("Name").GetString());
        Assert.Equal("FIND {Ada*} IN NAME FIELDS RETURNING Contact(Id, Name)", salesforce.Received("GET", V + "/search").QueryValues["q"].Single());
    }

    [Fact]
    public async Task A_malformed_query_is_Salesforces_400_error_array()
    {
        Api.On("GET", V + "/query", _ => (400, Json("""
            [{"message":"\nSELECT Nme FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Nme' on entity 'Account'.","errorCode":"INVALID_FIELD"}]
            """), null));
        var result = await salesforce.FailsAsync("SALESFORCE_SOQL_QUERY", new { q = "SELECT Nme FROM Account" }, "upstream_error", 400);
        Assert.Equal("INVALID_FIELD", result.GetProperty("data")[0].GetProperty("errorCode").GetString());
    }

    [Fact]
    public async Task Describe_global_and_describe_sobject()
    {
        Api.On("GET", V + "/sobjects", _ => (200, Json("""{"encoding":"UTF-8","maxBatchSize":200,"sobjects":[{"name":"Account","label":"Account","queryable":true,"createable":true}]}"""), null));
        Api.On("GET", V + "/sobjects/Invoice__c/describe", _ => (200, Json("""{"name":"Invoice__c","label":"Invoice","fields":[{"name":"Amount__c","type":"currency","nillable":true}]}"""), null));

        var all = await salesforce.SucceedsAsync("SALESFORCE_DESCRIBE_GLOBAL", null);
        Assert.Equal("Account", all.GetProperty("sobjects")[0].GetProperty("name").GetString());
        var invoice = await salesforce.SucceedsAsync("SALESFORCE_DESCRIBE_SOBJECT", new { sobject = "Invoice__c" });
        Assert.Equal("currency", invoice.GetProperty("fields")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Record_get_create_update_upsert_and_delete()
    {
        Api.On("GET", V + "/sobjects/Account/001D000000IqhSLIAZ", _ => (200, Json("""{"attributes":{"type":"Account"},"Id":"001D000000IqhSLIAZ","Name":"Acme","Industry":"Energy"}"""), null));
        Api.On("POST", V + "/sobjects/Account", _ => (201, Json("""{"id":"001D000000IqhSLIAZ","success":true,"errors":[]}"""), null));
        Api.On("PATCH", V + "/sobjects/Account/001D000000IqhSLIAZ", _ => (204, null, null));
        Api.On("PATCH", V + "/sobjects/Account/Customer_Number__c/CN-42", _ => (201, Json("""{"id":"001D000000IqhSMIAZ","success":true,"errors":[],"created":true}"""), null));
        Api.On("DELETE", V + "/sobjects/Account/001D000000IqhSLIAZ", _ => (204, null, null));

        var got = await salesforce.SucceedsAsync("SALESFORCE_GET_RECORD", new { sobject = "Account", record_id = "001D000000IqhSLIAZ", fields = new[] { "Name", "Industry" } });
        Assert.Equal("Acme", got.GetProperty("Name").GetString());
        Assert.Equal("Name,Industry", salesforce.Received("GET", V + "/sobjects/Account/001D000000IqhSLIAZ").QueryValues["fields"].Single());

        var created = await salesforce.SucceedsAsync("SALESFORCE_CREATE_RECORD", new { sobject = "Account", fields = """{"Name":"Acme","NumberOfEmployees":12}""" });
        Assert.True(created.GetProperty("success").GetBoolean());
        Assert.True(JsonNode.DeepEquals(Json("""{"Name":"Acme","NumberOfEmployees":12}"""), salesforce.Received("POST", V + "/sobjects/Account").Json));

        await salesforce.SucceedsAsync("SALESFORCE_UPDATE_RECORD", new { sobject = "Account", record_id = "001D000000IqhSLIAZ", fields = """{"Industry":"Utilities"}""" });
        Assert.True(JsonNode.DeepEquals(Json("""{"Industry":"Utilities"}"""), salesforce.Received("PATCH", V + "/sobjects/Account/001D000000IqhSLIAZ").Json));

        var upserted = await salesforce.SucceedsAsync("SALESFORCE_UPSERT_BY_EXTERNAL_ID", new { sobject = "Account", external_id_field = "Customer_Number__c", external_id = "CN-42", fields = """{"Name":"Beta"}""" });
        Assert.True(upserted.GetProperty("created").GetBoolean());
        Assert.Equal("""{"Name":"Beta"}""", salesforce.Received("PATCH", V + "/sobjects/Account/Customer_Number__c/CN-42").Body);

        await salesforce.SucceedsAsync("SALESFORCE_DELETE_RECORD", new { sobject = "Account", record_id = "001D000000IqhSLIAZ" });
        Assert.Equal("", salesforce.Received("DELETE", V + "/sobjects/Account/001D000000IqhSLIAZ").Body);
    }

    [Fact]
    public async Task A_record_id_cannot_climb_out_of_the_sobjects_path()
    {
        var before = Api.Requests.Count;
        var result = await salesforce.PostExecuteAsync("SALESFORCE_DELETE_RECORD", new { sobject = "Account", record_id = "../../limits" });
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, result.StatusCode);
        Assert.Equal(before, Api.Requests.Count);
    }

    [Fact]
    public async Task Recently_viewed_sends_the_limit()
    {
        Api.On("GET", V + "/recent", _ => (200, Json("""[{"attributes":{"type":"Account"},"Id":"001D000000IqhSLIAZ","Name":"Acme"}]"""), null));
        var recent = await salesforce.SucceedsAsync("SALESFORCE_LIST_RECENTLY_VIEWED", new { limit = 5 });
        Assert.Equal("Acme", recent[0].GetProperty("Name").GetString());
        Assert.Equal("5", salesforce.Received("GET", V + "/recent").QueryValues["limit"].Single());
    }
}
