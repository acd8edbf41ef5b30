using Butterbase.Portal.Apps;

namespace Butterbase.Portal.Tests.Apps;

/// <summary>docs/security.md [7]: the redirect allow-list matches scheme, host and port exactly and the path as a prefix.</summary>
public sealed class RedirectUrlsTests
{
    private static readonly string[] Allowed = ["https://app.com/settings", "http://localhost:3000/", "https://other.app.com:8443/cb/"];

    [Theory]
    [InlineData("https://app.com/settings")]
    [InlineData("https://app.com/settings?tab=integrations")]
    [InlineData("https://app.com/settings/integrations")]
    [InlineData("https://APP.com/settings")]
    [InlineData("https://app.com:443/settings")]
    [InlineData("http://localhost:3000/anything")]
    [InlineData("https://other.app.com:8443/cb/done")]
    public void Covered_urls_are_allowed(string url) => Assert.True(RedirectUrls.IsAllowed(url, Allowed), url);

    [Theory]
    [InlineData("https://app.com.evil.com/settings")]
    [InlineData("https://app.com@evil.com/settings")]
    [InlineData("https://user:pw@app.com/settings")]
    [InlineData("//evil.com/settings")]
    [InlineData("/\\evil.com")]
    [InlineData("/settings")]
    [InlineData("javascript:alert(1)//https://app.com/settings")]
    [InlineData("http://app.com/settings")]
    [InlineData("https://app.com:444/settings")]
    [InlineData("https://app.com/settingsevil")]
    [InlineData("https://app.com/other")]
    [InlineData("https://app.com/settings/../admin")]
    [InlineData("https://app.com/settings/%2e%2e/admin")]
    [InlineData("https://app.com/settings%2f..%2fadmin")]
    [InlineData("https://app.com/settings\r\nLocation: https://evil.com")]
    [InlineData("https://app.com/settings%0d%0aSet-Cookie:x=1")]
    [InlineData("https://app.com\\@evil.com/settings")]
    [InlineData("https://app.com/settings#frag")]
    [InlineData("https://evil.com/https://app.com/settings")]
    [InlineData("http://localhost:3001/")]
    [InlineData("https://other.app.com:8443/cbx")]
    [InlineData("data:text/html,<script>alert(1)</script>")]
    [InlineData("")]
    public void Lookalikes_and_tricks_are_refused(string url) => Assert.False(RedirectUrls.IsAllowed(url, Allowed), url);

    /// <summary>
    /// Issue 13: `..;` is a dot segment to servers that drop `;` path parameters (Tomcat, Jetty), so
    /// `/settings/..;/admin` is `/admin` there while it looked like `/settings/…` to the prefix check.
    /// </summary>
    [Theory]
    [InlineData("https://app.com/settings/..;/admin")]
    [InlineData("https://app.com/settings/..;x=1/admin")]
    [InlineData("https://app.com/settings/..%3b/admin")]
    [InlineData("https://app.com/settings/..%3B/admin")]
    [InlineData("https://app.com/settings/.%2e/admin")]
    [InlineData("https://app.com/settings/%2E%2E/admin")]
    [InlineData("https://app.com/settings/..%5cadmin")]
    [InlineData("https://app.com/settings/..\\admin")]
    [InlineData("https://other.app.com:8443/cb/..;/admin")]
    [InlineData("http://localhost:3000/..;/x")]
    public void Paths_that_other_servers_read_as_climbing_out_are_refused(string url) => Assert.False(RedirectUrls.IsAllowed(url, Allowed), url);

    [Theory]
    [InlineData("https://app.com/settings/a;jsessionid=1")]
    [InlineData("https://app.com/settings/..x")]
    [InlineData("https://app.com/settings/a.b")]
    public void Semicolons_and_dots_inside_ordinary_segments_still_pass(string url) => Assert.True(RedirectUrls.IsAllowed(url, Allowed), url);

    [Theory]
    [InlineData("https://yourapp.com/settings", null)]
    [InlineData("http://localhost:3000/done", null)]
    [InlineData("http://127.0.0.1:8080/", null)]
    [InlineData("http://yourapp.com/settings", "https")]
    [InlineData("https://user@yourapp.com/", "user name")]
    [InlineData("https://yourapp.com/#x", "fragment")]
    [InlineData("yourapp.com/settings", "absolute")]
    [InlineData("https://your app.com", "not allowed")]
    [InlineData("javascript:alert(1)", "https")]
    public void Allow_list_entries_are_checked_with_a_reason(string url, string? reasonContains)
    {
        var problem = RedirectUrls.ProblemWithEntry(url);
        if (reasonContains is null) Assert.Null(problem);
        else Assert.Contains(reasonContains, problem);
    }
}
