using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// Trello authenticates every call with two query parameters, the Power-Up's API `key` and the member's `token`
/// (https://developer.atlassian.com/cloud/trello/guides/rest-api/authorization/): the user connects on the hosted page with
/// the token (the api_key scheme, in the query as `token`) and the key (a connection field sent in the query).
/// </summary>
public sealed class TrelloToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Generic, new Dictionary<string, string>()), IAsyncLifetime
{
    public const string Key = "0123456789abcdef0123456789abcdef";
    public const string Token = "ATTA0000000000000000000000000000000000000000000000000000000000000001";

    protected override void Configure(PortalApplication portal) => portal.With("Butterbase:Toolkits:trello:ApiBaseUrl", Api.BaseUrl + "/1");

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        Api.AcceptsToken = null; // Trello's credentials are query parameters, not a Bearer token
        using var admin = Portal.Http(App.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = "trello" })));
        Connections["trello"] = await Portal.ConnectHostedAsync(App, "trello", User, new() { ["api_key"] = Token, ["field.key"] = Key });
    }
}

/// <summary>
/// The hand-made Trello toolkit (Trello's spec in the directory is under Trello's terms, so not redistributed; none ships on
/// npm) runs declaratively against a stand-in for api.trello.com/1: arguments of POST and PUT go in the query as Trello's
/// docs show, list arguments comma-separated, and errors are text/plain ("invalid id", "invalid token") with 400/401/404.
/// </summary>
public sealed class CuratedTrelloToolsTests(TrelloToolkitFixture trello) : IClassFixture<TrelloToolkitFixture>
{
    private const string BoardId = "5abbe4b7ddc1b351ef961414";
    private const string ListId = "5abbe4b7ddc1b351ef961415";
    private const string CardId = "5abbe4b7ddc1b351ef961416";

    private static (int, object?, IReadOnlyDictionary<string, string>?) Text(int status, string text) =>
        (status, new FakeProviderApi.RawBody(Encoding.UTF8.GetBytes(text), "text/plain; charset=utf-8"), null);

    private static FakeProviderApi.Handler Authorized(Func<FakeProviderApi.Received, (int, object?, IReadOnlyDictionary<string, string>?)> answer) => r =>
        r.QueryValues.GetValueOrDefault("key")?[0] != TrelloToolkitFixture.Key ? Text(401, "invalid key")
        : r.QueryValues.GetValueOrDefault("token")?[0] != TrelloToolkitFixture.Token ? Text(401, "invalid token")
        : answer(r);

    private static JsonNode Card(string name, string list = ListId) => JsonNode.Parse($$$"""
        {"id":"{{{CardId}}}","name":"{{{name}}}","desc":"","idList":"{{{list}}}","idBoard":"{{{BoardId}}}","due":null,"dueComplete":false,"closed":false,
         "url":"https://trello.com/c/AbCdEf12/1-card","shortUrl":"https://trello.com/c/AbCdEf12","idMembers":[],"idLabels":[]}
        """)!;

    [Fact]
    public async Task The_member_boards_and_lists_are_read_with_the_key_and_token_in_the_query()
    {
        trello.Api.On("GET", "/1/members/me", Authorized(r => (200, JsonNode.Parse($$$"""{"id":"5abbe4b7ddc1b351ef961400","username":"ada","fullName":"Ada Lovelace","idBoards":["{{{BoardId}}}"]}"""), null)));
        trello.Api.On("GET", "/1/members/me/boards", Authorized(r => (200, JsonNode.Parse($$$"""[{"id":"{{{BoardId}}}","name":"Launch","desc":"","closed":false,"url":"https://trello.com/b/XyZ/launch"}]"""), null)));
        trello.Api.On("GET", $"/1/boards/{BoardId}", Authorized(r => (200, JsonNode.Parse($$$"""{"id":"{{{BoardId}}}","name":"Launch","closed":false}"""), null)));
        trello.Api.On("GET", "/1/boards/nope", Authorized(r => Text(400, "invalid id")));
        trello.Api.On("GET", $"/1/boards/{BoardId}/lists", Authorized(r => (200, JsonNode.Parse($$$"""[{"id":"{{{ListId}}}","name":"To Do","closed":false,"idBoard":"{{{BoardId}}}","pos":16384}]"""), null)));
        trello.Api.On("GET", $"/1/lists/{ListId}/cards", Authorized(r => (200, new JsonArray(Card("Write docs")), null)));

        Assert.Equal("ada", (await trello.SucceedsAsync("TRELLO_GET_ME", null)).GetProperty("username").GetString());
        var sent = trello.Received("GET", "/1/members/me");
        Assert.Equal([TrelloToolkitFixture.Key], sent.QueryValues["key"]);
        Assert.Equal([TrelloToolkitFixture.Token], sent.QueryValues["token"]);
        Assert.False(sent.Headers.ContainsKey("Authorization"));
        // The execution log shows the call with both credentials masked, never their values.
        var run = await JsonAssert.OkAsync(await trello.PostExecuteAsync("TRELLO_GET_ME", null));
        await trello.Portal.Services.GetRequiredService<ExecutionLog>().FlushAsync(); // rows are written in the background
        using (var admin = trello.Portal.Http(trello.App.ApiKey))
        {
            var detail = await JsonAssert.OkAsync(await admin.GetAsync($"v1/{trello.App.Id}/integrations/executions/{run.GetProperty("executionId").GetString()}"));
            Assert.EndsWith("/1/members/me?token=***&key=***", detail.GetProperty("request").GetString());
            Assert.DoesNotContain(TrelloToolkitFixture.Token, detail.ToString());
            Assert.DoesNotContain(TrelloToolkitFixture.Key, detail.ToString());
        }

        Assert.Equal("Launch", (await trello.SucceedsAsync("TRELLO_LIST_BOARDS", new { filter = "open" }))[0].GetProperty("name").GetString());
        Assert.Equal(["open"], trello.Received("GET", "/1/members/me/boards").QueryValues["filter"]);
        Assert.Equal(BoardId, (await trello.SucceedsAsync("TRELLO_GET_BOARD", new { board_id = BoardId })).GetProperty("id").GetString());
        var failed = await trello.FailsAsync("TRELLO_GET_BOARD", new { board_id = "nope" }, "upstream_error", 400);
        Assert.Equal("invalid id", failed.GetProperty("data").GetString());
        Assert.Equal("To Do", (await trello.SucceedsAsync("TRELLO_LIST_LISTS", new { board_id = BoardId }))[0].GetProperty("name").GetString());
        Assert.Equal("Write docs", (await trello.SucceedsAsync("TRELLO_LIST_CARDS", new { list_id = ListId }))[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task Boards_lists_and_cards_are_created_moved_commented_and_deleted()
    {
        trello.Api.On("POST", "/1/boards", Authorized(r => (200, JsonNode.Parse($$$"""{"id":"{{{BoardId}}}","name":"{{{r.QueryValues["name"][0]}}}","closed":false}"""), null)));
        trello.Api.On("POST", "/1/lists", Authorized(r => (200, JsonNode.Parse($$$"""{"id":"{{{ListId}}}","name":"{{{r.QueryValues["name"][0]}}}","idBoard":"{{{r.QueryValues["idBoard"][0]}}}","closed":false,"pos":65536}"""), null)));
        trello.Api.On("POST", "/1/cards", Authorized(r => (200, Card(r.QueryValues["name"][0], r.QueryValues["idList"][0]), null)));
        trello.Api.On("GET", $"/1/cards/{CardId}", Authorized(r => (200, Card("Write docs"), null)));
        trello.Api.On("PUT", $"/1/cards/{CardId}", Authorized(r => (200, Card(r.QueryValues.GetValueOrDefault("name")?[0] ?? "Write docs", r.QueryValues.GetValueOrDefault("idList")?[0] ?? ListId), null)));
        trello.Api.On("POST", $"/1/cards/{CardId}/actions/comments", Authorized(r => (200, JsonNode.Parse($$$"""{"id":"5abbe4b7ddc1b351ef961499","type":"commentCard","data":{"text":"{{{r.QueryValues["text"][0]}}}"}}"""), null)));
        trello.Api.On("DELETE", $"/1/cards/{CardId}", Authorized(r => (200, JsonNode.Parse("""{"limits":{}}"""), null)));
        trello.Api.On("GET", "/1/search", Authorized(r => (200, JsonNode.Parse($$$"""{"options":{"terms":[{"text":"docs"}]},"boards":[],"cards":[{"id":"{{{CardId}}}","name":"Write docs"}]}"""), null)));

        Assert.Equal("Launch", (await trello.SucceedsAsync("TRELLO_CREATE_BOARD", new { name = "Launch", defaultLists = false })).GetProperty("name").GetString());
        Assert.Equal(["false"], trello.Received("POST", "/1/boards").QueryValues["defaultLists"]);
        Assert.Equal("Doing", (await trello.SucceedsAsync("TRELLO_CREATE_LIST", new { name = "Doing", idBoard = BoardId, pos = "bottom" })).GetProperty("name").GetString());

        var card = await trello.SucceedsAsync("TRELLO_CREATE_CARD", new { idList = ListId, name = "Write docs", idLabels = new[] { "l1", "l2" } });
        Assert.Equal(CardId, card.GetProperty("id").GetString());
        var created = trello.Received("POST", "/1/cards");
        Assert.Equal(["l1,l2"], created.QueryValues["idLabels"]);
        Assert.Equal("", created.Body); // Trello's arguments in the query, as its docs show
        Assert.Equal(["idLabels", "idList", "key", "name", "token"], created.QueryValues.Keys.Order());

        Assert.Equal("Write docs", (await trello.SucceedsAsync("TRELLO_GET_CARD", new { card_id = CardId })).GetProperty("name").GetString());
        var moved = await trello.SucceedsAsync("TRELLO_UPDATE_CARD", new { card_id = CardId, idList = "5abbe4b7ddc1b351ef961417", dueComplete = true });
        Assert.Equal("5abbe4b7ddc1b351ef961417", moved.GetProperty("idList").GetString());
        Assert.Equal(["true"], trello.Received("PUT", $"/1/cards/{CardId}").QueryValues["dueComplete"]);

        Assert.Equal("commentCard", (await trello.SucceedsAsync("TRELLO_ADD_COMMENT", new { card_id = CardId, text = "Done & shipped" })).GetProperty("type").GetString());
        Assert.Equal(["Done & shipped"], trello.Received("POST", $"/1/cards/{CardId}/actions/comments").QueryValues["text"]);
        Assert.Equal("Write docs", (await trello.SucceedsAsync("TRELLO_SEARCH", new { query = "docs", modelTypes = "cards" })).GetProperty("cards")[0].GetProperty("name").GetString());
        await trello.SucceedsAsync("TRELLO_DELETE_CARD", new { card_id = CardId });
        trello.Received("DELETE", $"/1/cards/{CardId}");
    }

    [Fact]
    public async Task A_card_id_that_would_climb_out_of_the_path_is_refused_and_nothing_is_sent()
    {
        var before = trello.Api.Requests.Count;
        await JsonAssert.ErrorAsync(await trello.PostExecuteAsync("TRELLO_DELETE_CARD", new { card_id = "../boards/" + BoardId }), HttpStatusCode.UnprocessableEntity, "invalid_params");
        Assert.Equal(before, trello.Api.Requests.Count);
    }
}
