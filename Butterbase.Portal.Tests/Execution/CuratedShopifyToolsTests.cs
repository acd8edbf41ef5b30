using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// Shopify's Admin API with a custom app's access token (`X-Shopify-Access-Token`), the shop a connection field: the user
/// connects on the hosted page with the token and the shop, and the toolkit's address (pointed here at
/// `http://{shop}/admin/api/2025-01`) is called on the shop they typed (the stand-in's host and port).
/// </summary>
public sealed class ShopifyToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Generic, new Dictionary<string, string>()), IAsyncLifetime
{
    public const string Token = "shpat_00000000000000000000000000000001";
    public const string Admin = "/admin/api/2025-01";

    protected override void Configure(PortalApplication portal) =>
        portal.With("Butterbase:Toolkits:shopify:ApiBaseUrl", "http://{shop}" + Admin);

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        Api.AcceptsToken = null; // Shopify's token is a header of its own, not a Bearer token
        using var admin = Portal.Http(App.ApiKey);
        await JsonAssert.OkAsync(await admin.PostAsync($"{Base}/configure", JsonAssert.Body(new { toolkit = "shopify" })));
        Connections["shopify"] = await Portal.ConnectHostedAsync(App, "shopify", User,
            new() { ["api_key"] = Token, ["field.shop"] = new Uri(Api.BaseUrl).Authority });
    }
}

/// <summary>
/// Shopify Admin API 2025-01 (https://shopify.dev/docs/api/admin-graphql, https://shopify.dev/docs/api/admin-rest): REST
/// resources wrapped by name (`{"product": {...}}`), errors as `{"errors": "Not Found"}` or `{"errors": {"title": ["can't be blank"]}}`,
/// 429 with `Retry-After` when the leaky bucket is full.
/// </summary>
public sealed class CuratedShopifyToolsTests(ShopifyToolkitFixture shopify) : IClassFixture<ShopifyToolkitFixture>
{
    private FakeProviderApi Api => shopify.Api;
    private const string A = ShopifyToolkitFixture.Admin;
    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    [Fact]
    public async Task Graphql_posts_query_and_variables_with_the_shops_access_token()
    {
        Api.On("POST", A + "/graphql.json", _ => (200, Json("""
            {"data":{"products":{"edges":[{"node":{"id":"gid://shopify/Product/632910392","title":"IPod Nano - 8GB"}}]}},
             "extensions":{"cost":{"requestedQueryCost":7,"actualQueryCost":3,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":1997,"restoreRate":100.0}}}}
            """), null));
        var data = await shopify.SucceedsAsync("SHOPIFY_GRAPHQL", new { query = "query($n: Int!) { products(first: $n) { edges { node { id title } } } }", variables = """{"n":5}""" });
        Assert.Equal("gid://shopify/Product/632910392", data.GetProperty("data").GetProperty("products").GetProperty("edges")[0].GetProperty("node").GetProperty("id").GetString());
        var sent = shopify.Received("POST", A + "/graphql.json");
        Assert.Equal(ShopifyToolkitFixture.Token, sent.Headers["X-Shopify-Access-Token"]);
        Assert.False(sent.Headers.ContainsKey("Authorization"));
        Assert.True(JsonNode.DeepEquals(Json("""{"query":"query($n: Int!) { products(first: $n) { edges { node { id title } } } }","variables":{"n":5}}"""), sent.Json));
    }

    [Fact]
    public async Task Shop_products_list_get_create_and_update()
    {
        Api.On("GET", A + "/shop.json", _ => (200, Json("""{"shop":{"id":548380009,"name":"John Smith Test Store","currency":"USD","myshopify_domain":"jsmith.myshopify.com"}}"""), null));
        Api.On("GET", A + "/products.json", _ => (200, Json("""{"products":[{"id":632910392,"title":"IPod Nano - 8GB","status":"active"}]}"""),
            new Dictionary<string, string> { ["Link"] = "<https://jsmith.myshopify.com/admin/api/2025-01/products.json?limit=1&page_info=eyJsYXN0X2lkIjo2MzI5MTAzOTJ9>; rel=\"next\"" }));
        Api.On("GET", A + "/products/632910392.json", _ => (200, Json("""{"product":{"id":632910392,"title":"IPod Nano - 8GB","variants":[{"id":808950810,"price":"199.00"}]}}"""), null));
        Api.On("POST", A + "/products.json", _ => (201, Json("""{"product":{"id":1072481042,"title":"Burton Custom Freestyle 151","status":"draft"}}"""), null));
        Api.On("PUT", A + "/products/632910392.json", _ => (200, Json("""{"product":{"id":632910392,"title":"New title","tags":"sale"}}"""), null));

        var shop = await shopify.SucceedsAsync("SHOPIFY_GET_SHOP", null);
        Assert.Equal("USD", shop.GetProperty("shop").GetProperty("currency").GetString());

        var list = await shopify.SucceedsAsync("SHOPIFY_LIST_PRODUCTS", new { limit = 1, status = "active", vendor = (string?)null, page_info = (string?)null });
        Assert.Equal(632910392, list.GetProperty("products")[0].GetProperty("id").GetInt64());
        Assert.Equal("?limit=1&status=active", shopify.Received("GET", A + "/products.json").Query);

        var product = await shopify.SucceedsAsync("SHOPIFY_GET_PRODUCT", new { product_id = 632910392 });
        Assert.Equal("199.00", product.GetProperty("product").GetProperty("variants")[0].GetProperty("price").GetString());

        var created = await shopify.SucceedsAsync("SHOPIFY_CREATE_PRODUCT", new { product = """{"title":"Burton Custom Freestyle 151","vendor":"Burton","status":"draft"}""" });
        Assert.Equal(1072481042, created.GetProperty("product").GetProperty("id").GetInt64());
        Assert.True(JsonNode.DeepEquals(Json("""{"product":{"title":"Burton Custom Freestyle 151","vendor":"Burton","status":"draft"}}"""), shopify.Received("POST", A + "/products.json").Json));

        await shopify.SucceedsAsync("SHOPIFY_UPDATE_PRODUCT", new { product_id = 632910392, product = """{"title":"New title","tags":"sale"}""" });
        Assert.True(JsonNode.DeepEquals(Json("""{"product":{"title":"New title","tags":"sale"}}"""), shopify.Received("PUT", A + "/products/632910392.json").Json));
    }

    [Fact]
    public async Task A_product_without_a_title_is_Shopifys_422()
    {
        Api.On("POST", A + "/products.json", _ => (422, Json("""{"errors":{"title":["can't be blank"]}}"""), null));
        var result = await shopify.FailsAsync("SHOPIFY_CREATE_PRODUCT", new { product = """{"vendor":"Burton"}""" }, "upstream_error", 422);
        Assert.Equal("can't be blank", result.GetProperty("data").GetProperty("errors").GetProperty("title")[0].GetString());
    }

    [Fact]
    public async Task A_full_leaky_bucket_is_rate_limited_with_retry_after()
    {
        Api.On("GET", A + "/orders/count.json", _ => (429, Json("""{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}"""),
            new Dictionary<string, string> { ["Retry-After"] = "2" }));
        var result = await shopify.FailsAsync("SHOPIFY_COUNT_ORDERS", new { status = "any" }, "rate_limited", 429);
        Assert.Equal(2000, result.GetProperty("error").GetProperty("retryAfterMs").GetInt64());
    }

    [Fact]
    public async Task Orders_customers_and_inventory()
    {
        Api.On("GET", A + "/orders.json", _ => (200, Json("""{"orders":[{"id":450789469,"name":"#1001","financial_status":"paid"}]}"""), null));
        Api.On("GET", A + "/orders/450789469.json", _ => (200, Json("""{"order":{"id":450789469,"name":"#1001","line_items":[{"id":466157049,"title":"IPod Nano - 8gb","quantity":1}]}}"""), null));
        Api.On("GET", A + "/orders/count.json", _ => (200, Json("""{"count":4}"""), null));
        Api.On("GET", A + "/customers/search.json", _ => (200, Json("""{"customers":[{"id":207119551,"email":"ada@example.com","first_name":"Ada"}]}"""), null));
        Api.On("GET", A + "/inventory_levels.json", _ => (200, Json("""{"inventory_levels":[{"inventory_item_id":808950810,"location_id":655441491,"available":9}]}"""), null));

        var orders = await shopify.SucceedsAsync("SHOPIFY_LIST_ORDERS", new { status = "any", financial_status = "paid", created_at_min = "2025-01-01T00:00:00-05:00", limit = (int?)null, page_info = (string?)null });
        Assert.Equal("#1001", orders.GetProperty("orders")[0].GetProperty("name").GetString());
        var sent = shopify.Received("GET", A + "/orders.json").QueryValues;
        Assert.Equal("any", sent["status"].Single());
        Assert.Equal("2025-01-01T00:00:00-05:00", sent["created_at_min"].Single());

        var order = await shopify.SucceedsAsync("SHOPIFY_GET_ORDER", new { order_id = 450789469 });
        Assert.Equal(1, order.GetProperty("order").GetProperty("line_items")[0].GetProperty("quantity").GetInt32());
        Assert.Equal(4, (await shopify.SucceedsAsync("SHOPIFY_COUNT_ORDERS", new { status = (string?)null })).GetProperty("count").GetInt32());

        var customers = await shopify.SucceedsAsync("SHOPIFY_SEARCH_CUSTOMERS", new { query = "email:ada@example.com", limit = 5 });
        Assert.Equal(207119551, customers.GetProperty("customers")[0].GetProperty("id").GetInt64());
        Assert.Equal("email:ada@example.com", shopify.Received("GET", A + "/customers/search.json").QueryValues["query"].Single());

        var levels = await shopify.SucceedsAsync("SHOPIFY_GET_INVENTORY_LEVELS", new { inventory_item_ids = new[] { 808950810, 39072856 }, location_ids = (int[]?)null, limit = (int?)null });
        Assert.Equal(9, levels.GetProperty("inventory_levels")[0].GetProperty("available").GetInt32());
        Assert.Equal("808950810,39072856", shopify.Received("GET", A + "/inventory_levels.json").QueryValues["inventory_item_ids"].Single());
    }

    [Fact]
    public async Task A_missing_order_is_Shopifys_404()
    {
        Api.On("GET", A + "/orders/1.json", _ => (404, Json("""{"errors":"Not Found"}"""), null));
        var result = await shopify.FailsAsync("SHOPIFY_GET_ORDER", new { order_id = 1 }, "upstream_error", 404);
        Assert.Equal("Not Found", result.GetProperty("data").GetProperty("errors").GetString());
    }
}
