using System.Net;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// Control characters in a header or query parameter never reach the provider (docs/security.md [34]): CR/LF in a header
/// would add headers or smuggle a second request carrying the connection's key. Contract-P's paginated inbox tool has
/// a header parameter (`X-Fields`) and query parameters, like 1,582 generated tools.
/// </summary>
public sealed class HeaderInjectionTests : IAsyncLifetime
{
    private const string Tool = "CONTRACT_P_GET_INBOX_PAGINATED_RESOURCE";
    private readonly PortalApplication _portal = new();
    private FakeProviderApi _api = default!;
    private TestApp _app = default!;

    public async Task InitializeAsync()
    {
        _api = await FakeProviderApi.StartAsync();
        _api.On("GET", "/api/inboxes/in_1/paginated", _ => (200, new { items = Array.Empty<object>() }, null));
        _portal.With("Butterbase:Toolkits:contract-p:ApiBaseUrl", _api.BaseUrl + "/api");
        _app = await _portal.CreateAppAsync("Acme", HostedConnectDriver.ReturnUrl);
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{_app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "contract-p", authScheme = "api_key" })));
        await _portal.ConnectHostedAsync(_app, "contract-p", "ada", new() { ["api_key"] = "cp-secret-key-0001" });
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _api.DisposeAsync();
    }

    private async Task<HttpResponseMessage> ExecuteAsync(string fields, string orderBy)
    {
        using var admin = _portal.Http(_app.ApiKey);
        return await admin.PostAsync($"v1/{_app.Id}/integrations/execute", JsonAssert.Body(new
        {
            toolName = Tool, userId = "ada",
            @params = new Dictionary<string, object?>
            {
                ["inbox_id"] = "in_1", ["page"] = 1, ["per_page"] = 10, ["start_receive_date"] = null, ["end_receive_date"] = null,
                ["order_by"] = orderBy, ["X-Fields"] = fields,
            },
        }));
    }

    [Theory]
    [InlineData("name\r\nX-Injected: yes")]
    [InlineData("name\r\n\r\nGET /api/admin HTTP/1.1\r\nHost: provider")]   // a second request after the headers
    [InlineData("name\nX-Injected: yes")]
    [InlineData("name\rX-Injected: yes")]
    [InlineData("name\0")]
    [InlineData("name\u0001")]
    [InlineData("name\u001b[31m")]
    [InlineData("name\u007f")]
    public async Task Control_characters_in_a_header_parameter_are_422_and_nothing_is_sent(string value)
    {
        var refused = await JsonAssert.ErrorAsync(await ExecuteAsync(value, "date"), HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal("X-Fields", refused.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Empty(_api.Requests);
    }

    [Theory]
    [InlineData("date\r\nX-Injected: yes")]
    [InlineData("date\0")]
    [InlineData("date\n")]
    public async Task Control_characters_in_a_query_parameter_are_422_and_nothing_is_sent(string value)
    {
        var refused = await JsonAssert.ErrorAsync(await ExecuteAsync("name", value), HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal("order_by", refused.GetProperty("details")[0].GetProperty("field").GetString());
        Assert.Empty(_api.Requests);
    }

    [Fact]
    public async Task Tabs_and_ordinary_text_still_go_through()
    {
        var result = await JsonAssert.OkAsync(await ExecuteAsync("name,\tid", "date,-id"));
        Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        var sent = Assert.Single(_api.Requests);
        Assert.Equal("name,\tid", sent.Headers["X-Fields"]);
        Assert.False(sent.Headers.ContainsKey("X-Injected"));
        Assert.Equal("cp-secret-key-0001", sent.Headers["Authorization"]);
    }

    [Fact]
    public async Task An_api_key_in_authorization_with_characters_dotnet_would_not_parse_is_sent_as_issued()
    {
        await _portal.ConnectHostedAsync(_app, "contract-p", "bea", new() { ["api_key"] = "cp/secret+key:0002==" });
        using var admin = _portal.Http(_app.ApiKey);
        var result = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{_app.Id}/integrations/execute", JsonAssert.Body(new
        {
            toolName = Tool, userId = "bea",
            @params = new Dictionary<string, object?> { ["inbox_id"] = "in_1", ["page"] = 1, ["per_page"] = 10, ["order_by"] = "date", ["X-Fields"] = "name" },
        })));
        Assert.True(result.GetProperty("successful").GetBoolean(), result.ToString());
        Assert.Equal("cp/secret+key:0002==", Assert.Single(_api.Requests).Headers["Authorization"]);
    }
}
