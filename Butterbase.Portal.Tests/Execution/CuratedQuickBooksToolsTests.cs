using System.Text.Json.Nodes;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;

namespace Butterbase.Portal.Tests.Execution;

/// <summary>
/// Intuit names the connected company only in the callback's query (`realmId` beside code and state): the stand-in's
/// authorization response carries one, and the quickbooks_realm quirk fills `/v3/company/{realmId}` with it.
/// </summary>
public sealed class QuickBooksToolkitFixture() : CuratedToolsFixture(FakeProviderStyle.Generic, new Dictionary<string, string> { ["quickbooks"] = "/v3/company/{realmId}" })
{
    public const string RealmId = "9130347596842384";
    public const string Company = "/v3/company/" + RealmId;

    protected override void Configure(PortalApplication portal) =>
        OAuth.Options.ExtraCallbackParameters = new Dictionary<string, string> { ["realmId"] = RealmId };
}

/// <summary>
/// QuickBooks Online Accounting API v3 (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer):
/// entities wrapped by name (`{"Customer": {...}, "time": ...}`), `minorversion` on the query, errors as
/// `{Fault: {Error: [{Message, Detail, code, element}], type}}`.
/// </summary>
public sealed class CuratedQuickBooksToolsTests(QuickBooksToolkitFixture qb) : IClassFixture<QuickBooksToolkitFixture>
{
    private FakeProviderApi Api => qb.Api;
    private const string C = QuickBooksToolkitFixture.Company;
    private static JsonNode Json(string json) => JsonNode.Parse(json)!;

    [Fact]
    public async Task The_realm_id_from_the_callback_is_the_company_every_call_names()
    {
        var stored = await qb.Portal.StoredCredentialsAsync(qb.App.Id, qb.Connections["quickbooks"]);
        Assert.Equal(QuickBooksToolkitFixture.RealmId, stored.Fields!["realmId"]);
        Api.On("GET", C + "/query", _ => (200, Json("""
            {"QueryResponse":{"Customer":[{"Id":"58","DisplayName":"Amy's Bird Sanctuary","Balance":239.0,"SyncToken":"0"}],"startPosition":1,"maxResults":1},"time":"2025-06-01T10:00:00.000-07:00"}
            """), null));
        var result = await qb.SucceedsAsync("QUICKBOOKS_QUERY", new { query = "select * from Customer where Active = true maxresults 20", minorversion = 75 });
        Assert.Equal("58", result.GetProperty("QueryResponse").GetProperty("Customer")[0].GetProperty("Id").GetString());
        var sent = qb.Received("GET", C + "/query").QueryValues;
        Assert.Equal("select * from Customer where Active = true maxresults 20", sent["query"].Single());
        Assert.Equal("75", sent["minorversion"].Single());
    }

    [Fact]
    public async Task Customers_are_read_created_and_sparsely_updated()
    {
        Api.On("GET", C + "/customer/58", _ => (200, Json("""{"Customer":{"Id":"58","SyncToken":"3","DisplayName":"Amy's Bird Sanctuary"},"time":"2025-06-01T10:00:00.000-07:00"}"""), null));
        Api.On("POST", C + "/customer", r => r.Json!["sparse"] is null
            ? (200, Json("""{"Customer":{"Id":"59","SyncToken":"0","DisplayName":"Acme Ltd"},"time":"2025-06-01T10:00:00.000-07:00"}"""), null)
            : (200, Json("""{"Customer":{"Id":"58","SyncToken":"4","CompanyName":"Amy's Birds"},"time":"2025-06-01T10:00:00.000-07:00"}"""), null));

        var got = await qb.SucceedsAsync("QUICKBOOKS_GET_CUSTOMER", new { id = "58", minorversion = (int?)null });
        Assert.Equal("3", got.GetProperty("Customer").GetProperty("SyncToken").GetString());

        var created = await qb.SucceedsAsync("QUICKBOOKS_CREATE_CUSTOMER", new { DisplayName = "Acme Ltd", PrimaryEmailAddr = new { Address = "billing@acme.example" }, CompanyName = (string?)null, minorversion = 75 });
        Assert.Equal("59", created.GetProperty("Customer").GetProperty("Id").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"DisplayName":"Acme Ltd","PrimaryEmailAddr":{"Address":"billing@acme.example"}}"""), qb.Received("POST", C + "/customer").Json));

        var updated = await qb.SucceedsAsync("QUICKBOOKS_SPARSE_UPDATE_CUSTOMER", new { customer = """{"Id":"58","SyncToken":"3","sparse":true,"CompanyName":"Amy's Birds"}""", minorversion = 75 });
        Assert.Equal("4", updated.GetProperty("Customer").GetProperty("SyncToken").GetString());
        Assert.True(JsonNode.DeepEquals(Json("""{"Id":"58","SyncToken":"3","sparse":true,"CompanyName":"Amy's Birds"}"""), qb.Received("POST", C + "/customer").Json));
    }

    [Fact]
    public async Task A_duplicate_display_name_is_QuickBooks_validation_fault()
    {
        Api.On("POST", C + "/customer", _ => (400, Json("""
            {"Fault":{"Error":[{"Message":"Duplicate Name Exists Error","Detail":"The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.","code":"6240","element":""}],"type":"ValidationFault"},"time":"2025-06-01T10:00:00.000-07:00"}
            """), null));
        var result = await qb.FailsAsync("QUICKBOOKS_CREATE_CUSTOMER", new { DisplayName = "Acme Ltd", PrimaryEmailAddr = (object?)null, CompanyName = (string?)null, minorversion = (int?)null }, "upstream_error", 400);
        Assert.Equal("6240", result.GetProperty("data").GetProperty("Fault").GetProperty("Error")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task Invoices_are_created_read_and_emailed_and_payments_recorded()
    {
        Api.On("POST", C + "/invoice", _ => (200, Json("""{"Invoice":{"Id":"130","DocNumber":"1037","TotalAmt":100.0,"Balance":100.0},"time":"2025-06-01T10:00:00.000-07:00"}"""), null));
        Api.On("GET", C + "/invoice/130", _ => (200, Json("""{"Invoice":{"Id":"130","TotalAmt":100.0,"EmailStatus":"NotSet"},"time":"2025-06-01T10:00:00.000-07:00"}"""), null));
        Api.On("POST", C + "/invoice/130/send", _ => (200, Json("""{"Invoice":{"Id":"130","EmailStatus":"EmailSent","BillEmail":{"Address":"billing@acme.example"}},"time":"2025-06-01T10:00:00.000-07:00"}"""), null));
        Api.On("POST", C + "/payment", _ => (200, Json("""{"Payment":{"Id":"140","TotalAmt":100.0,"UnappliedAmt":0},"time":"2025-06-01T10:00:00.000-07:00"}"""), null));

        var line = """[{"DetailType":"SalesItemLineDetail","Amount":100,"SalesItemLineDetail":{"ItemRef":{"value":"1"}}}]""";
        var invoice = await qb.SucceedsAsync("QUICKBOOKS_CREATE_INVOICE", new { CustomerRef = new { value = "58" }, Line = line, DueDate = "2025-07-01", minorversion = 75 });
        Assert.Equal("130", invoice.GetProperty("Invoice").GetProperty("Id").GetString());
        Assert.True(JsonNode.DeepEquals(Json($$"""{"CustomerRef":{"value":"58"},"Line":{{line}},"DueDate":"2025-07-01"}"""), qb.Received("POST", C + "/invoice").Json));

        var read = await qb.SucceedsAsync("QUICKBOOKS_GET_INVOICE", new { id = "130", minorversion = 75 });
        Assert.Equal("NotSet", read.GetProperty("Invoice").GetProperty("EmailStatus").GetString());

        var sent = await qb.SucceedsAsync("QUICKBOOKS_SEND_INVOICE", new { id = "130", sendTo = "billing@acme.example", minorversion = 75 });
        Assert.Equal("EmailSent", sent.GetProperty("Invoice").GetProperty("EmailStatus").GetString());
        Assert.Equal("billing@acme.example", qb.Received("POST", C + "/invoice/130/send").QueryValues["sendTo"].Single());

        var payment = await qb.SucceedsAsync("QUICKBOOKS_CREATE_PAYMENT", new { CustomerRef = new { value = "58" }, TotalAmt = 100.0, Line = """[{"Amount":100,"LinkedTxn":[{"TxnId":"130","TxnType":"Invoice"}]}]""", minorversion = (int?)null });
        Assert.Equal("140", payment.GetProperty("Payment").GetProperty("Id").GetString());
        Assert.Equal("130", qb.Received("POST", C + "/payment").Json!["Line"]![0]!["LinkedTxn"]![0]!["TxnId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Items_and_the_profit_and_loss_report()
    {
        Api.On("GET", C + "/item/1", _ => (200, Json("""{"Item":{"Id":"1","Name":"Services","Type":"Service","UnitPrice":100},"time":"2025-06-01T10:00:00.000-07:00"}"""), null));
        Api.On("GET", C + "/reports/ProfitAndLoss", _ => (200, Json("""{"Header":{"ReportName":"ProfitAndLoss","StartPeriod":"2025-01-01","EndPeriod":"2025-03-31","ReportBasis":"Accrual"},"Rows":{"Row":[]}}"""), null));

        var item = await qb.SucceedsAsync("QUICKBOOKS_GET_ITEM", new { id = "1", minorversion = (int?)null });
        Assert.Equal("Services", item.GetProperty("Item").GetProperty("Name").GetString());

        var report = await qb.SucceedsAsync("QUICKBOOKS_PROFIT_AND_LOSS", new { start_date = "2025-01-01", end_date = "2025-03-31", accounting_method = "Accrual", minorversion = (int?)null });
        Assert.Equal("Accrual", report.GetProperty("Header").GetProperty("ReportBasis").GetString());
        var query = qb.Received("GET", C + "/reports/ProfitAndLoss").QueryValues;
        Assert.Equal("2025-01-01", query["start_date"].Single());
        Assert.Equal("Accrual", query["accounting_method"].Single());
    }
}
