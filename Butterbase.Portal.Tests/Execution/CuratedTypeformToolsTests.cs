using System.Net;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class TypeformFixture() : CuratedToolsFixture(FakeProviderStyle.Generic, new Dictionary<string, string> { ["typeform"] = "" });

/// <summary>
/// The hand-made Typeform toolkit (no spec ships on npm: @typeform/api-client is an SDK) runs declaratively against a
/// stand-in for api.typeform.com: lists are `{total_items, page_count, items}`, list filters on responses go as one
/// comma-separated value, deletions answer 204, errors are `{code, description}`.
/// </summary>
public sealed class CuratedTypeformToolsTests(TypeformFixture typeform) : IClassFixture<TypeformFixture>
{
    private const string FormId = "u6nXL7";
    private static readonly JsonNode NotFound = JsonNode.Parse("""{"code":"FORM_NOT_FOUND","description":"Non existing form with uid missing"}""")!;

    [Fact]
    public async Task The_account_its_forms_and_one_form_are_read_and_a_missing_form_is_a_failed_result()
    {
        typeform.Api.On("GET", "/me", r => (200, JsonNode.Parse("""{"user_id":"01H7ZQ","alias":"ada","email":"ada@example.com","language":"en"}"""), null));
        typeform.Api.On("GET", "/forms", r => (200, JsonNode.Parse($$$"""
            {"total_items":1,"page_count":1,"items":[{"id":"{{{FormId}}}","title":"Signup","last_updated_at":"2025-05-12T15:50:38Z",
             "self":{"href":"https://api.typeform.com/forms/{{{FormId}}}"},"_links":{"display":"https://acme.typeform.com/to/{{{FormId}}}"}}]}
            """), null));
        typeform.Api.On("GET", $"/forms/{FormId}", r => (200, JsonNode.Parse($$$"""
            {"id":"{{{FormId}}}","title":"Signup","fields":[{"id":"Auxd6Itc4qgK","ref":"name","title":"Your name?","type":"short_text"}],"_links":{"display":"https://acme.typeform.com/to/{{{FormId}}}"}}
            """), null));
        typeform.Api.On("GET", "/forms/missing", r => (404, NotFound, null));

        Assert.Equal("ada@example.com", (await typeform.SucceedsAsync("TYPEFORM_GET_ME", null)).GetProperty("email").GetString());
        var forms = await typeform.SucceedsAsync("TYPEFORM_LIST_FORMS", new { search = "Sign", page_size = 20 });
        Assert.Equal(FormId, forms.GetProperty("items")[0].GetProperty("id").GetString());
        var sent = typeform.Received("GET", "/forms");
        Assert.StartsWith("Bearer ", sent.Headers["Authorization"]);
        Assert.Equal(["page_size", "search"], sent.QueryValues.Keys.Order());

        Assert.Equal("short_text", (await typeform.SucceedsAsync("TYPEFORM_GET_FORM", new { form_id = FormId })).GetProperty("fields")[0].GetProperty("type").GetString());
        var failed = await typeform.FailsAsync("TYPEFORM_GET_FORM", new { form_id = "missing" }, "upstream_error", 404);
        Assert.Equal("FORM_NOT_FOUND", failed.GetProperty("data").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_form_is_created_from_json_fields_and_deleted()
    {
        typeform.Api.On("POST", "/forms", r => r.Json!["fields"] is JsonArray
            ? (201, JsonNode.Parse($$$"""{"id":"{{{FormId}}}","title":"{{{r.Json["title"]!.GetValue<string>()}}}","_links":{"display":"https://acme.typeform.com/to/{{{FormId}}}"}}"""), null)
            : (400, JsonNode.Parse("""{"code":"VALIDATION_ERROR","description":"The payload is invalid.","details":[{"code":"WRONG_TYPE","field":"/fields","description":"should be array"}]}"""), null));
        typeform.Api.On("DELETE", $"/forms/{FormId}", r => (204, null, null));

        var created = await typeform.SucceedsAsync("TYPEFORM_CREATE_FORM", new
        {
            title = "Signup",
            fields = """[{"title":"Your name?","type":"short_text"},{"title":"Email","type":"email"}]""",
            workspace = new { href = "https://api.typeform.com/workspaces/Aw33bz" },
        });
        Assert.Equal(FormId, created.GetProperty("id").GetString());
        var body = typeform.Received("POST", "/forms").Json!.AsObject();
        Assert.Equal("email", body["fields"]![1]!["type"]!.GetValue<string>()); // JSON text sent as JSON
        Assert.Equal("https://api.typeform.com/workspaces/Aw33bz", body["workspace"]!["href"]!.GetValue<string>());
        Assert.False(body.ContainsKey("settings"));

        await typeform.SucceedsAsync("TYPEFORM_DELETE_FORM", new { form_id = FormId });
        typeform.Received("DELETE", $"/forms/{FormId}");
    }

    [Fact]
    public async Task Responses_are_listed_with_comma_separated_filters_and_deleted_by_token()
    {
        typeform.Api.On("GET", $"/forms/{FormId}/responses", r => (200, JsonNode.Parse("""
            {"total_items":1,"page_count":1,"items":[{"landing_id":"21085286190ffad1248d17c4135ee56f","token":"21085286190ffad1248d17c4135ee56f","response_id":"21085286190ffad1248d17c4135ee56f",
             "landed_at":"2025-05-12T15:50:38Z","submitted_at":"2025-05-12T15:51:02Z","answers":[{"field":{"id":"Auxd6Itc4qgK","type":"short_text","ref":"name"},"type":"text","text":"Ada"}]}]}
            """), null));
        typeform.Api.On("DELETE", $"/forms/{FormId}/responses", r => (200, null, null));

        var responses = await typeform.SucceedsAsync("TYPEFORM_LIST_RESPONSES", new { form_id = FormId, completed = true, fields = new[] { "Auxd6Itc4qgK", "Bx7" }, page_size = 100 });
        Assert.Equal("Ada", responses.GetProperty("items")[0].GetProperty("answers")[0].GetProperty("text").GetString());
        var query = typeform.Received("GET", $"/forms/{FormId}/responses").QueryValues;
        Assert.Equal(["Auxd6Itc4qgK,Bx7"], query["fields"]);
        Assert.Equal(["true"], query["completed"]);

        await typeform.SucceedsAsync("TYPEFORM_DELETE_RESPONSES", new { form_id = FormId, included_tokens = new[] { "t1", "t2" } });
        Assert.Equal(["t1,t2"], typeform.Received("DELETE", $"/forms/{FormId}/responses").QueryValues["included_tokens"]);
    }

    [Fact]
    public async Task Deleting_responses_needs_at_least_one_token_and_nothing_is_sent_without()
    {
        var before = typeform.Api.Requests.Count;
        await JsonAssert.ErrorAsync(await typeform.PostExecuteAsync("TYPEFORM_DELETE_RESPONSES", new { form_id = FormId, included_tokens = Array.Empty<string>() }),
            HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal(before, typeform.Api.Requests.Count);
    }

    [Fact]
    public async Task Workspaces_and_webhooks_are_read_and_written()
    {
        typeform.Api.On("GET", "/workspaces", r => (200, JsonNode.Parse("""{"total_items":1,"page_count":1,"items":[{"id":"Aw33bz","name":"My workspace","default":true,"shared":false,"forms":{"count":3,"href":"https://api.typeform.com/workspaces/Aw33bz/forms"}}]}"""), null));
        typeform.Api.On("POST", "/workspaces", r => (201, JsonNode.Parse($$$"""{"id":"Bz44cy","name":"{{{r.Json!["name"]!.GetValue<string>()}}}","self":{"href":"https://api.typeform.com/workspaces/Bz44cy"}}"""), null));
        typeform.Api.On("GET", $"/forms/{FormId}/webhooks", r => (200, JsonNode.Parse($$$"""{"items":[{"id":"01HW","form_id":"{{{FormId}}}","tag":"crm","url":"https://hooks.example.com/typeform","enabled":true,"verify_ssl":true}]}"""), null));
        typeform.Api.On("PUT", $"/forms/{FormId}/webhooks/crm", r => (200, JsonNode.Parse($$$"""
            {"id":"01HW","form_id":"{{{FormId}}}","tag":"crm","url":"{{{r.Json!["url"]!.GetValue<string>()}}}","enabled":{{{(r.Json["enabled"]!.GetValue<bool>() ? "true" : "false")}}},"verify_ssl":true}
            """), null));
        typeform.Api.On("DELETE", $"/forms/{FormId}/webhooks/crm", r => (204, null, null));

        Assert.True((await typeform.SucceedsAsync("TYPEFORM_LIST_WORKSPACES", null)).GetProperty("items")[0].GetProperty("default").GetBoolean());
        Assert.Equal("Launch", (await typeform.SucceedsAsync("TYPEFORM_CREATE_WORKSPACE", new { name = "Launch" })).GetProperty("name").GetString());
        Assert.Equal("crm", (await typeform.SucceedsAsync("TYPEFORM_LIST_WEBHOOKS", new { form_id = FormId })).GetProperty("items")[0].GetProperty("tag").GetString());

        var hook = await typeform.SucceedsAsync("TYPEFORM_UPSERT_WEBHOOK", new { form_id = FormId, tag = "crm", url = "https://hooks.example.com/typeform", enabled = true, secret = "s3cret" });
        Assert.True(hook.GetProperty("enabled").GetBoolean());
        var put = typeform.Received("PUT", $"/forms/{FormId}/webhooks/crm").Json!.AsObject();
        Assert.Equal(["enabled", "secret", "url"], put.Select(p => p.Key).Order()); // form_id and tag are the path

        await typeform.SucceedsAsync("TYPEFORM_DELETE_WEBHOOK", new { form_id = FormId, tag = "crm" });
        typeform.Received("DELETE", $"/forms/{FormId}/webhooks/crm");
    }
}
