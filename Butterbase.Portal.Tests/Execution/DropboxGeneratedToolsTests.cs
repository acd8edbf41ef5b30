using System.Text;
using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

public sealed class DropboxFixture() : CuratedToolsFixture(FakeProviderStyle.Generic, new Dictionary<string, string> { ["dropbox"] = "" });

/// <summary>
/// Dropbox's tools are generated from the routes of the dropbox npm package (tools/catalog/sources/dropbox.mjs) and run
/// declaratively: `POST /2/&lt;route&gt;` with the argument struct as the JSON body (unions as `{".tag": …}`), no body at all for
/// routes without an argument, the connection's Bearer token. The stand-in answers as api.dropboxapi.com does: route errors
/// are 409 `{error_summary, error: {".tag": …}}`, a malformed call is 400 with a text/plain explanation.
/// </summary>
public sealed class DropboxGeneratedToolsTests(DropboxFixture dropbox) : IClassFixture<DropboxFixture>
{
    private static (int, object?, IReadOnlyDictionary<string, string>?) BadInput(string route, string why) =>
        (400, new FakeProviderApi.RawBody(Encoding.UTF8.GetBytes($"Error in call to API function \"{route}\": {why}"), "text/plain; charset=utf-8"), null);

    [Fact]
    public async Task A_folder_is_listed_with_only_the_arguments_given()
    {
        dropbox.Api.On("POST", "/2/files/list_folder", r => r.Json?["path"] is null
            ? BadInput("files/list_folder", "request body: missing required field 'path'")
            : r.Json["path"]!.GetValue<string>() == "/missing"
                ? (409, JsonNode.Parse("""{"error_summary":"path/not_found/...","error":{".tag":"path","path":{".tag":"not_found"}}}"""), null)
                : (200, JsonNode.Parse("""
                    {"entries":[{".tag":"folder","name":"Reports","path_lower":"/reports","path_display":"/Reports","id":"id:a4ayc_80_OEAAAAAAAAAXw"},
                                {".tag":"file","name":"plan.txt","path_lower":"/plan.txt","path_display":"/plan.txt","id":"id:a4ayc_80_OEAAAAAAAAAXz","size":7212,"rev":"a1c10ce0dd78","server_modified":"2025-05-12T15:50:38Z"}],
                     "cursor":"ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu","has_more":false}
                    """), null));
        var data = await dropbox.SucceedsAsync("DROPBOX_FILES_LIST_FOLDER", new { path = "", limit = 100 });
        Assert.Equal("file", data.GetProperty("entries")[1].GetProperty(".tag").GetString());
        Assert.False(data.GetProperty("has_more").GetBoolean());

        var sent = dropbox.Received("POST", "/2/files/list_folder");
        Assert.StartsWith("Bearer ", sent.Headers["Authorization"]);
        Assert.StartsWith("application/json", sent.Headers["Content-Type"]);
        // Options the caller left out are not sent: Dropbox applies its defaults (recursive false, include_mounted_folders true).
        Assert.Equal(["limit", "path"], sent.Json!.AsObject().Select(p => p.Key).Order());

        var failed = await dropbox.FailsAsync("DROPBOX_FILES_LIST_FOLDER", new { path = "/missing" }, "upstream_error", 409);
        Assert.Equal("path/not_found/...", failed.GetProperty("data").GetProperty("error_summary").GetString());
    }

    [Fact]
    public async Task A_shared_link_is_created_with_its_settings_as_stone_unions()
    {
        dropbox.Api.On("POST", "/2/sharing/create_shared_link_with_settings", r =>
            r.Json!["settings"]?["requested_visibility"]?[".tag"]?.GetValue<string>() is "public" or "team_only" or "password"
                ? (200, JsonNode.Parse("""
                    {".tag":"file","url":"https://www.dropbox.com/s/2sn712vy1ovegw8/plan.txt?dl=0","name":"plan.txt","path_lower":"/plan.txt",
                     "link_permissions":{"can_revoke":true,"resolved_visibility":{".tag":"public"}},"id":"id:a4ayc_80_OEAAAAAAAAAXz"}
                    """), null)
                : BadInput("sharing/create_shared_link_with_settings", "request body: settings.requested_visibility: expected a union"));
        var data = await dropbox.SucceedsAsync("DROPBOX_SHARING_CREATE_SHARED_LINK_WITH_SETTINGS", new
        {
            path = "/plan.txt",
            settings = new Dictionary<string, object?> { ["requested_visibility"] = new Dictionary<string, string> { [".tag"] = "public" }, ["allow_download"] = true },
        });
        Assert.StartsWith("https://www.dropbox.com/s/", data.GetProperty("url").GetString());
        var settings = dropbox.Received("POST", "/2/sharing/create_shared_link_with_settings").Json!["settings"]!.AsObject();
        Assert.Equal("public", settings["requested_visibility"]![".tag"]!.GetValue<string>());
        Assert.Equal(["allow_download", "requested_visibility"], settings.Select(p => p.Key).Order());
    }

    [Fact]
    public async Task A_route_without_an_argument_is_called_with_no_body()
    {
        // Dropbox refuses a JSON body on these routes: it wants the body empty (or the text null).
        dropbox.Api.On("POST", "/2/users/get_current_account", r => r.Body.Length > 0 && r.Body != "null"
            ? BadInput("users/get_current_account", "This function requires its argument in the HTTP request body to be \"null\" or empty")
            : (200, JsonNode.Parse("""
                {"account_id":"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc","name":{"given_name":"Ada","surname":"Lovelace","display_name":"Ada Lovelace"},
                 "email":"ada@example.com","email_verified":true,"disabled":false,"country":"GB","account_type":{".tag":"basic"}}
                """), null));
        var data = await dropbox.SucceedsAsync("DROPBOX_USERS_GET_CURRENT_ACCOUNT", null);
        Assert.Equal("Ada Lovelace", data.GetProperty("name").GetProperty("display_name").GetString());
        Assert.Equal("", dropbox.Received("POST", "/2/users/get_current_account").Body);
    }

    [Fact]
    public async Task A_folder_is_moved_and_dropboxs_text_error_is_a_failed_result()
    {
        dropbox.Api.On("POST", "/2/files/move_v2", r => r.Json!["to_path"]!.GetValue<string>().StartsWith('/')
            ? (200, JsonNode.Parse("""{"metadata":{".tag":"folder","name":"Archive","path_lower":"/archive/reports","path_display":"/Archive/Reports","id":"id:a4ayc_80_OEAAAAAAAAAXw"}}"""), null)
            : BadInput("files/move_v2", "request body: to_path: 'Archive' did not match pattern '(/(.|[\\r\\n])*)|(ns:[0-9]+(/.*)?)|(id:.*)'"));
        var data = await dropbox.SucceedsAsync("DROPBOX_FILES_MOVE_V2", new { from_path = "/Reports", to_path = "/Archive/Reports", autorename = true });
        Assert.Equal("/Archive/Reports", data.GetProperty("metadata").GetProperty("path_display").GetString());
        var sent = dropbox.Received("POST", "/2/files/move_v2").Json!.AsObject();
        Assert.True(sent["autorename"]!.GetValue<bool>());
        Assert.False(sent.ContainsKey("allow_shared_folder"));

        var failed = await dropbox.FailsAsync("DROPBOX_FILES_MOVE_V2", new { from_path = "/Reports", to_path = "Archive" }, "upstream_error", 400);
        Assert.Contains("did not match pattern", failed.GetProperty("data").GetString());
    }
}
