using System.Text.RegularExpressions;

namespace Butterbase.Portal.Tests.Support;

/// <summary>Connects an end user to an api-key / basic / bearer toolkit through the hosted connect page, as a browser would.</summary>
public static partial class HostedConnectDriver
{
    public const string ReturnUrl = "https://app.example.com/back";

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>Starts `/connect` and submits the page with <paramref name="fields"/>: the page's answer (302 on success).</summary>
    public static async Task<HttpResponseMessage> SubmitHostedAsync(this PortalApplication portal, TestApp app, string toolkit, string user,
        Dictionary<string, string> fields)
    {
        using var admin = portal.Http(app.ApiKey);
        var started = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{app.Id}/integrations/connect",
            JsonAssert.Body(new { toolkit, redirectUrl = ReturnUrl, userId = user })));
        var authUrl = started.GetProperty("authUrl").GetString()!;
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = portal.Address };
        var page = await browser.GetStringAsync(authUrl);
        var form = new Dictionary<string, string>(fields)
        {
            ["_handler"] = "hosted-connect",
            ["action"] = "connect",
            ["__RequestVerificationToken"] = AntiforgeryField().Match(page).Groups[1].Value,
        };
        return await browser.PostAsync(authUrl, new FormUrlEncodedContent(form));
    }

    /// <summary>Connects and answers the connection id (asserts the page accepted the values).</summary>
    public static async Task<string> ConnectHostedAsync(this PortalApplication portal, TestApp app, string toolkit, string user, Dictionary<string, string> fields)
    {
        var response = await portal.SubmitHostedAsync(app, toolkit, user, fields);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Redirect, $"the hosted page refused: {await response.Content.ReadAsStringAsync()}");
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(response.Headers.Location!.Query)["connectionId"].ToString();
    }
}
