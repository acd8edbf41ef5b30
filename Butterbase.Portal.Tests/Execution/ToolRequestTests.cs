using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Execution;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>How a generated tool's parameters become the provider's URL: query styles (deepObject, form objects) and path templates that carry their own query.</summary>
public sealed class ToolRequestTests
{
    private static readonly ToolkitCatalog Catalog = new();

    private static Uri Build(string toolName, object parameters)
    {
        var (tool, toolkit) = Catalog.FindTool(toolName) ?? throw new Xunit.Sdk.XunitException($"{toolName} is not in the catalog");
        var given = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(parameters))!.AsObject();
        using var request = ToolRequest.Build(toolkit, tool, given, new StoredCredentials { Scheme = "bearer", AccessToken = "t" }, "https://api.example.com/v1");
        return request.RequestUri!;
    }

    [Fact]
    public void Deep_object_query_parameters_go_in_brackets_as_stripe_reads_them()
    {
        // https://docs.stripe.com/api/charges/list: created[gte]=…&created[lt]=…; https://docs.stripe.com/expand: expand[]=…
        var uri = Build("STRIPE_GET_CHARGES", new
        {
            created = new { gt = (int?)null, gte = 1700000000, lt = 1800000000, lte = (int?)null },
            expand = new[] { "data.customer", "data.invoice" },
            limit = 3,
        });
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query);
        Assert.Equal("1700000000", query["created[gte]"].ToString());
        Assert.Equal("1800000000", query["created[lt]"].ToString());
        Assert.False(query.ContainsKey("created[gt]"), "an optional member left out (null) is not sent");
        Assert.False(query.ContainsKey("created"), "the object itself is not sent as JSON");
        Assert.Equal(new[] { "data.customer", "data.invoice" }, query["expand[]"].Select(v => v!).ToArray());
        Assert.Equal("3", query["limit"].ToString());

        // A plain value in a deepObject parameter stays plain: created=1700000000.
        var plain = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Build("STRIPE_GET_CHARGES", new { created = 1700000000 }).Query);
        Assert.Equal("1700000000", plain["created"].ToString());
    }

    [Fact]
    public void An_object_query_parameter_declared_by_schema_goes_as_its_members_and_one_declared_as_json_content_as_json()
    {
        // Sinao declares `place` with a schema and no style: OpenAPI's default for a query object, form + explode, sends
        // each member as its own pair.
        var uri = Build("SINAO_APP_CONTACTS_ESTABLISHMENTS_UPDATE", new
        {
            appId = "1", id = "2", name = "HQ", phones = (string?)null, emails = (string?)null, nic = (string?)null,
            place = new { locality = "Paris", country = "FR", postal_code = (string?)null },
        });
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query);
        Assert.Equal("Paris", query["locality"].ToString());
        Assert.Equal("FR", query["country"].ToString());
        Assert.False(query.ContainsKey("postal_code"), "a member left out (null) is not sent");
        Assert.False(query.ContainsKey("place"), "the object itself is not sent as JSON");

        // Stream declares `payload` as application/json content: one value, the JSON text.
        var stream = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Build("STREAM_IO_API_QUERY_CAMPAIGNS", new { payload = new { limit = 5 } }).Query);
        Assert.Equal("{\"limit\":5}", stream["payload"].ToString());
    }

    [Fact]
    public void A_literal_query_in_the_template_is_kept_and_the_query_parameters_follow_it()
    {
        // FormAPI keys this operation `/templates/{template_id}?full=true`.
        Assert.Equal("https://api.example.com/v1/templates/tpl_1?full=true", Build("FORMAPI_GET_FULL_TEMPLATE", new { template_id = "tpl_1" }).AbsoluteUri);
    }

    [Fact]
    public void Placeholders_in_the_template_query_are_escaped_as_query_values_and_cannot_add_pairs()
    {
        // ClickSend: `/fax/history?date_from={date_from}&date_to={date_to}&q={q}&order_by={order_by}`.
        var uri = Build("CLICKSEND_GET_FAX_HISTORY", new { date_from = 1, date_to = 2, q = "a&b=c d/e", order_by = "date:desc" });
        Assert.Equal("/v1/fax/history", uri.AbsolutePath);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query);
        Assert.Equal(["date_from", "date_to", "q", "order_by"], query.Keys);
        Assert.Equal("a&b=c d/e", query["q"].ToString());
        Assert.Equal("date:desc", query["order_by"].ToString());
    }

    [Theory]
    [InlineData("data.customer\r\nX-Injected: 1")]
    [InlineData("data\u0000")]
    public void Control_characters_in_deep_object_values_and_member_names_are_refused_naming_the_parameter(string value)
    {
        var inValue = Assert.Throws<InvalidToolParameter>(() => Build("STRIPE_GET_CHARGES", new { expand = new[] { value } }));
        Assert.Equal("expand", inValue.Field);
        var inName = Assert.Throws<InvalidToolParameter>(() => Build("STRIPE_GET_CHARGES",
            new Dictionary<string, object> { ["created"] = new Dictionary<string, object> { [value] = 1 } }));
        Assert.Equal("created", inName.Field);
    }
}
