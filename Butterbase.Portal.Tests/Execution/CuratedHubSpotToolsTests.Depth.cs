using System.Text.Json.Nodes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>HubSpot get / update / delete / associate (issue 14 "curated depth"), against the stand-in on HubSpot's CRM paths.</summary>
public sealed partial class CuratedHubSpotToolsTests
{
    private static JsonNode HubSpotError(string message, string category) =>
        new JsonObject { ["status"] = "error", ["message"] = message, ["correlationId"] = "aeb5f871-7f07-4993-9211-075dc63e7cbf", ["category"] = category };

    [Theory]
    [InlineData("HUBSPOT_GET_CONTACT", "contacts", "contactId")]
    [InlineData("HUBSPOT_GET_COMPANY", "companies", "companyId")]
    [InlineData("HUBSPOT_GET_DEAL", "deals", "dealId")]
    public async Task Get_asks_for_properties_and_associations_as_comma_lists_and_a_missing_record_is_hubspots_404(string tool, string plural, string idName)
    {
        Api.On("GET", $"/crm/v3/objects/{plural}/501", _ => (200, Json("""
            {"id":"501","properties":{"hs_object_id":"501","email":"ada@example.com","createdate":"2025-01-01T00:00:00Z"},"createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-06-01T00:00:00Z","archived":false,
             "associations":{"companies":{"results":[{"id":"900","type":"contact_to_company"}]}}}
            """), null));
        Api.On("GET", $"/crm/v3/objects/{plural}/404", _ => (404, HubSpotError("Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND"), null));

        var record = await Kit.SucceedsAsync(tool, new Dictionary<string, object> { [idName] = "501", ["properties"] = new[] { "email", "createdate" }, ["associations"] = new[] { "companies" } });
        Assert.Equal("501", record.GetProperty("id").GetString());
        var sent = Kit.Received("GET", $"/crm/v3/objects/{plural}/501");
        Assert.StartsWith("Bearer CO", sent.Headers["Authorization"]);
        Assert.Equal(["email,createdate"], sent.QueryValues["properties"]);
        Assert.Equal(["companies"], sent.QueryValues["associations"]);

        var missing = await Kit.FailsAsync(tool, new Dictionary<string, object> { [idName] = "404" }, "upstream_error", 404);
        Assert.Equal("OBJECT_NOT_FOUND", missing.GetProperty("data").GetProperty("category").GetString());
    }

    [Fact]
    public async Task Update_patches_string_properties_by_id_and_delete_answers_204()
    {
        Api.On("PATCH", "/crm/v3/objects/contacts/501", r => (200, new JsonObject { ["id"] = "501", ["properties"] = r.Json!["properties"]!.DeepClone(), ["updatedAt"] = "2025-06-02T00:00:00Z" }, null));
        Api.On("PATCH", "/crm/v3/objects/deals/77", r => (200, new JsonObject { ["id"] = "77", ["properties"] = r.Json!["properties"]!.DeepClone() }, null));
        Api.On("PATCH", "/crm/v3/objects/companies/900", _ => (400, HubSpotError("Property values were not valid: [{\"isValid\":false,\"message\":\"BOGUS was not one of the allowed options\",\"name\":\"industry\"}]", "VALIDATION_ERROR"), null));
        Api.On("DELETE", "/crm/v3/objects/contacts/501", _ => (204, null, null));

        var contact = await Kit.SucceedsAsync("HUBSPOT_UPDATE_CONTACT", new { contactId = "501", phone = "+1 555 0100", properties = """{"lifecyclestage":"customer","hs_lead_status":""}""" });
        Assert.Equal("customer", contact.GetProperty("properties").GetProperty("lifecyclestage").GetString());
        var sent = Kit.Received("PATCH", "/crm/v3/objects/contacts/501");
        Assert.True(JsonNode.DeepEquals(Json("""{"properties":{"lifecyclestage":"customer","hs_lead_status":"","phone":"+1 555 0100"}}"""), sent.Json), sent.Body);

        await Kit.SucceedsAsync("HUBSPOT_UPDATE_DEAL", new { dealId = "77", dealstage = "closedwon", amount = "1500.00" });
        Assert.True(JsonNode.DeepEquals(Json("""{"properties":{"amount":"1500.00","dealstage":"closedwon"}}"""), Kit.Received("PATCH", "/crm/v3/objects/deals/77").Json));

        var invalid = await Kit.FailsAsync("HUBSPOT_UPDATE_COMPANY", new { companyId = "900", industry = "BOGUS" }, "upstream_error", 400);
        Assert.Equal("VALIDATION_ERROR", invalid.GetProperty("data").GetProperty("category").GetString());

        var deleted = await Support.JsonAssert.OkAsync(await Kit.PostExecuteAsync("HUBSPOT_DELETE_CONTACT", new { contactId = "501" }));
        Assert.True(deleted.GetProperty("successful").GetBoolean());
        Assert.StartsWith("Bearer CO", Kit.Received("DELETE", "/crm/v3/objects/contacts/501").Headers["Authorization"]);
    }

    [Fact]
    public async Task Delete_company_and_deal_are_deletes_on_their_paths()
    {
        Api.On("DELETE", "/crm/v3/objects/companies/900", _ => (204, null, null));
        Api.On("DELETE", "/crm/v3/objects/deals/77", _ => (204, null, null));
        await Kit.SucceedsAsync("HUBSPOT_DELETE_COMPANY", new { companyId = "900" });
        await Kit.SucceedsAsync("HUBSPOT_DELETE_DEAL", new { dealId = "77" });
        Assert.Equal("", Kit.Received("DELETE", "/crm/v3/objects/companies/900").Body);
        Assert.Equal("", Kit.Received("DELETE", "/crm/v3/objects/deals/77").Body);
    }

    [Fact]
    public async Task Associate_puts_the_v4_default_association_between_two_records()
    {
        Api.On("PUT", "/crm/v4/objects/contacts/501/associations/default/companies/900", _ => (200, Json("""
            {"status":"COMPLETE","results":[{"from":{"id":"501"},"to":{"id":"900"},"associationTypes":[{"category":"HUBSPOT_DEFINED","typeId":279,"label":null},{"category":"HUBSPOT_DEFINED","typeId":1,"label":"Primary"}]}],
             "startedAt":"2025-06-02T00:00:00Z","completedAt":"2025-06-02T00:00:00Z"}
            """), null));
        var linked = await Kit.SucceedsAsync("HUBSPOT_ASSOCIATE_RECORDS", new { fromObjectType = "contacts", fromObjectId = "501", toObjectType = "companies", toObjectId = "900" });
        Assert.Equal("COMPLETE", linked.GetProperty("status").GetString());
        var sent = Kit.Received("PUT", "/crm/v4/objects/contacts/501/associations/default/companies/900");
        Assert.StartsWith("Bearer CO", sent.Headers["Authorization"]);
        Assert.Equal("", sent.Body);
        // Only the three object types the toolkit manages: anything else is refused before HubSpot is called.
        await Support.JsonAssert.ErrorAsync(await Kit.PostExecuteAsync("HUBSPOT_ASSOCIATE_RECORDS", new { fromObjectType = "tickets", fromObjectId = "1", toObjectType = "contacts", toObjectId = "2" }),
            System.Net.HttpStatusCode.UnprocessableEntity, "invalid_params");
    }
}
