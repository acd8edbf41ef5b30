using System.Net;
using System.Text;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>Issue 13 §8: text that is not valid Unicode in execute params is the caller's error (400 invalid_json), never a 500.</summary>
public sealed class MalformedParamsTests : IAsyncLifetime
{
    private readonly PortalApplication _portal = new PortalApplication().With("Butterbase:Sandbox:Enabled", "true");
    private TestApp _app = default!;

    public async Task InitializeAsync()
    {
        _app = await _portal.CreateAppAsync("Acme");
        using var admin = _portal.Http(_app.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"v1/{_app.Id}/integrations/configure", JsonAssert.Body(new { toolkit = "sandbox" })));
    }

    public async Task DisposeAsync() => await _portal.DisposeAsync();

    private async Task<HttpResponseMessage> PostRawAsync(byte[] body)
    {
        using var admin = _portal.Http(_app.ApiKey);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return await admin.PostAsync($"v1/{_app.Id}/integrations/execute", content);
    }

    private static byte[] Body(string paramsJson) =>
        Encoding.UTF8.GetBytes("""{"toolName":"SANDBOX_SEND_MESSAGE","userId":"u1","params":""" + paramsJson + "}");

    [Theory]
    [InlineData("""{"text":"\ud800"}""")]                 // a lone high surrogate
    [InlineData("""{"text":"\udc00 tail"}""")]            // a lone low surrogate
    [InlineData("""{"text":"\ud800\ud800"}""")]           // two highs
    [InlineData("""{"\ud800":"x"}""")]                    // in a property name
    [InlineData("""{"text":["ok","\udfff"]}""")]          // nested in an array
    public async Task Lone_surrogates_in_params_are_400_invalid_json(string paramsJson)
    {
        var response = await PostRawAsync(Body(paramsJson));
        await JsonAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_json");
    }

    [Theory]
    [InlineData(new byte[] { 0xff })]                      // never valid in UTF-8
    [InlineData(new byte[] { 0xc3 })]                      // a truncated two-byte sequence
    [InlineData(new byte[] { 0xed, 0xa0, 0x80 })]          // an encoded surrogate (CESU-8)
    [InlineData(new byte[] { 0xc0, 0xaf })]                // an overlong '/'
    public async Task Malformed_utf8_in_params_is_400_invalid_json(byte[] bad)
    {
        var body = Encoding.UTF8.GetBytes("""{"toolName":"SANDBOX_SEND_MESSAGE","userId":"u1","params":{"text":"a""")
            .Concat(bad).Concat(Encoding.UTF8.GetBytes("\"}}")).ToArray();
        var response = await PostRawAsync(body);
        await JsonAssert.ErrorAsync(response, HttpStatusCode.BadRequest, "invalid_json");
    }

    [Fact]
    public async Task A_connection_id_longer_than_any_there_is_is_422_naming_it()
    {
        // A megabyte id would otherwise be a cache key held for the cache's lifetime, per call.
        var body = Encoding.UTF8.GetBytes("""{"toolName":"SANDBOX_SEND_MESSAGE","userId":"u1","params":{"text":"hi"},"connectionId":"cn_""" + new string('x', 1_000_000) + "\"}");
        var error = await JsonAssert.ErrorAsync(await PostRawAsync(body), (HttpStatusCode)422, "validation_failed");
        Assert.Equal("connectionId", error.GetProperty("details")[0].GetProperty("field").GetString());
    }
}
