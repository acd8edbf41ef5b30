using System.Net;
using System.Text.RegularExpressions;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Butterbase.Portal.Tests.Accounts;

/// <summary>
/// docs/security.md [36], issue 13 class 6 (and the sign-out part of class 8), over the real sign-in and sign-up form posts:
/// throttling per account and per IP with growing delays, common passwords refused, sign-up answers that do not tell
/// which emails exist, and the operator's sign-up mode with invite links.
/// </summary>
public sealed partial class AccountProtectionTests : IAsyncDisposable
{
    private const string Password = "correct horse battery";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private PortalApplication _portal = default!;

    private PortalApplication Start(string? signUpMode = null)
    {
        _portal = new PortalApplication(kestrel: false).WithServices(s => s.AddSingleton<TimeProvider>(_clock));
        if (signUpMode is not null) _portal.With("Butterbase:Accounts:SignUp", signUpMode);
        return _portal;
    }

    public async ValueTask DisposeAsync() { if (_portal is not null) await _portal.DisposeAsync(); }

    private HttpClient NewClient() => _portal.CreateClient(new WebApplicationFactoryClientOptions
    {
        BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = true,
    });

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>An antiforgery token for the client; a closed sign-up page has no form, so then it comes from the sign-in page (tokens are not per form).</summary>
    private static async Task<string> TokenAsync(HttpClient client, string path)
    {
        var token = AntiforgeryField().Match(await client.GetStringAsync(path)).Groups[1].Value;
        return token.Length > 0 ? token : AntiforgeryField().Match(await client.GetStringAsync("/account/signin")).Groups[1].Value;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string token, string handler, Dictionary<string, string> fields) =>
        client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>(fields) { ["_handler"] = handler, ["__RequestVerificationToken"] = token }));

    private static async Task<HttpResponseMessage> SignUpAsync(HttpClient client, string email, string password = Password, string path = "/account/signup") =>
        await PostAsync(client, path, await TokenAsync(client, path), "signup",
            new() { ["Input.Email"] = email, ["Input.Password"] = password, ["Input.ConfirmPassword"] = password });

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string password, string? token = null) =>
        await PostAsync(client, "/account/signin", token ?? await TokenAsync(client, "/account/signin"), "signin",
            new() { ["Input.Email"] = email, ["Input.Password"] = password });

    private static bool SetsSession(HttpResponseMessage r) => r.Headers.TryGetValues("Set-Cookie", out var c) && c.Any(v => v.StartsWith("bb.portal=") && !v.Contains("expires=Thu, 01 Jan 1970"));

    private async Task<int> DevelopersAsync()
    {
        await using var db = await _portal.Services.GetRequiredService<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        return await db.Developers.CountAsync();
    }

    [Fact]
    public async Task Sixty_wrong_passwords_then_the_right_one_is_refused_until_the_delay_has_passed()
    {
        Start();
        await SignUpAsync(NewClient(), "owner@example.com");
        var attacker = NewClient();
        var token = await TokenAsync(attacker, "/account/signin");
        for (var i = 0; i < 60; i++) await SignInAsync(attacker, "owner@example.com", $"wrong password {i}", token);

        var right = await SignInAsync(attacker, "owner@example.com", Password, token);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.False(SetsSession(right));
        Assert.Contains("Too many sign-in attempts", await right.Content.ReadAsStringAsync());
        Assert.True(int.Parse(right.Headers.GetValues("Retry-After").Single()) > 0);

        // The owner, from elsewhere, is held too (per account) until the delay has passed; then the right password works.
        var owner = NewClient();
        Assert.False(SetsSession(await SignInAsync(owner, "OWNER@example.com", Password)));
        _clock.Advance(TimeSpan.FromMinutes(16));
        var later = await SignInAsync(owner, "owner@example.com", Password);
        Assert.Equal(HttpStatusCode.Redirect, later.StatusCode);
        Assert.True(SetsSession(later));
    }

    [Fact]
    public async Task Twenty_five_parallel_attempts_get_no_more_password_checks_than_the_free_allowance()
    {
        Start();
        await SignUpAsync(NewClient(), "owner@example.com");
        var attackers = Enumerable.Range(0, 25).Select(_ => NewClient()).ToList();
        var tokens = await Task.WhenAll(attackers.Select(a => TokenAsync(a, "/account/signin")));
        var answers = await Task.WhenAll(attackers.Select(async (a, i) => await (await SignInAsync(a, "owner@example.com", $"guess number {i}", tokens[i])).Content.ReadAsStringAsync()));
        var checkedPasswords = answers.Count(a => a.Contains("do not match an account"));
        Assert.InRange(checkedPasswords, 1, 5);
        Assert.Equal(25 - checkedPasswords, answers.Count(a => a.Contains("Too many sign-in attempts")));
    }

    [Fact]
    public async Task One_address_spraying_many_emails_is_throttled_and_unknown_emails_are_answered_like_known_ones()
    {
        Start();
        await SignUpAsync(NewClient(), "owner@example.com");
        var attacker = NewClient();
        var token = await TokenAsync(attacker, "/account/signin");
        for (var i = 0; i < 20; i++) await SignInAsync(attacker, $"person{i}@example.com", "wrong password!", token);
        var next = await (await SignInAsync(attacker, "someone-new@example.com", "wrong password!", token)).Content.ReadAsStringAsync();
        Assert.Contains("Too many sign-in attempts", next);
    }

    [Theory]
    [InlineData("aaaaaaaaaa")]
    [InlineData("1212121212")]
    [InlineData("password123")]
    [InlineData("qwertyuiop")]
    [InlineData("Password2024!")]
    [InlineData("baseball1234")]
    public async Task Common_or_repetitive_passwords_are_refused_at_sign_up(string password)
    {
        Start();
        var response = await SignUpAsync(NewClient(), "owner@example.com", password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches("common passwords|too easy to guess", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await DevelopersAsync());
    }

    [Fact]
    public async Task By_default_sign_up_closes_after_the_first_account_and_answers_alike_for_taken_and_new_emails()
    {
        Start();
        Assert.Equal(HttpStatusCode.Redirect, (await SignUpAsync(NewClient(), "owner@example.com")).StatusCode);

        Assert.Contains("by invitation", await NewClient().GetStringAsync("/account/signup"));
        // A closed sign-up has no form to post to: a post is refused before any email is looked at, alike for both.
        var taken = await SignUpAsync(NewClient(), "owner@example.com");
        var fresh = await SignUpAsync(NewClient(), "newcomer@example.com");
        Assert.Equal(fresh.StatusCode, taken.StatusCode);
        var takenHtml = await taken.Content.ReadAsStringAsync();
        Assert.Equal(Visible(takenHtml), Visible(await fresh.Content.ReadAsStringAsync()));
        Assert.DoesNotContain("already exists", takenHtml);
        Assert.Equal(1, await DevelopersAsync());
    }

    /// <summary>The page's text without the per-response antiforgery token and component markers.</summary>
    private static string Visible(string html) => Regex.Replace(Regex.Replace(html, "<!--.*?-->", "", RegexOptions.Singleline), "value=\"CfDJ[^\"]*\"", "");

    [Fact]
    public async Task In_open_mode_a_taken_email_gets_the_generic_refusal_not_a_hint()
    {
        Start("open");
        await SignUpAsync(NewClient(), "owner@example.com");
        var again = await (await SignUpAsync(NewClient(), "OWNER@example.com")).Content.ReadAsStringAsync();
        Assert.Contains("We could not create an account with these details", again);
        Assert.DoesNotContain("already exists", again);
        Assert.Equal(HttpStatusCode.Redirect, (await SignUpAsync(NewClient(), "second@example.com")).StatusCode);
    }

    /// <summary>Invite sign-up mode, its first account (the owner) signed up through the form, app "Acme", and a viewer invite.</summary>
    private async Task<(PortalDb Db, App App, string OwnerId, string Token)> InviteModeWithAnOwnerAndAViewerInviteAsync()
    {
        Start("invite");
        await SignUpAsync(NewClient(), "owner@example.com");
        var db = await _portal.Services.GetRequiredService<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        var ownerId = (await db.Developers.SingleAsync()).Id;
        var app = await _portal.Services.GetRequiredService<AppRegistry>().CreateAsync("Acme", ownerId);
        var (_, token) = (await _portal.Services.GetRequiredService<AppTeam>().InviteAsync(new AppGrant(app, AppRole.Owner, ownerId), AppRole.Viewer))!.Value;
        return (db, app, ownerId, token);
    }

    [Fact]
    public async Task In_invite_mode_only_a_valid_invite_link_opens_sign_up_and_joins_its_app_with_its_role_once()
    {
        var (db, app, ownerId, token) = await InviteModeWithAnOwnerAndAViewerInviteAsync();
        await using var owned = db;

        Assert.Contains("by invitation", await NewClient().GetStringAsync("/account/signup"));
        Assert.Contains("by invitation", await NewClient().GetStringAsync("/account/signup?invite=not-a-real-token"));
        Assert.NotEqual(HttpStatusCode.Redirect, (await SignUpAsync(NewClient(), "uninvited@example.com")).StatusCode);
        Assert.NotEqual(HttpStatusCode.Redirect, (await SignUpAsync(NewClient(), "forged@example.com", path: "/account/signup?invite=not-a-real-token")).StatusCode);

        var invited = NewClient();
        var page = await invited.GetStringAsync($"/invite/{token}");
        Assert.Contains("Join Acme", page);
        var joined = await PostAsync(invited, $"/account/signup?invite={token}", await TokenAsync(invited, $"/account/signup?invite={token}"), "signup",
            new() { ["Input.Email"] = "viewer@example.com", ["Input.Password"] = Password, ["Input.ConfirmPassword"] = Password, ["Input.Invite"] = token });
        Assert.Equal(HttpStatusCode.Redirect, joined.StatusCode);
        var member = await db.AppMembers.AsNoTracking().SingleAsync(m => m.AppId == app.Id && m.DeveloperId != ownerId);
        Assert.Equal("viewer", member.Role);

        // The link is single-use.
        var second = NewClient();
        var reuse = await PostAsync(second, $"/account/signup?invite={token}", await TokenAsync(second, $"/account/signup?invite={token}"), "signup",
            new() { ["Input.Email"] = "freeloader@example.com", ["Input.Password"] = Password, ["Input.ConfirmPassword"] = Password, ["Input.Invite"] = token });
        Assert.NotEqual(HttpStatusCode.Redirect, reuse.StatusCode);
        Assert.False(await db.Developers.AnyAsync(d => d.Email == "freeloader@example.com"));
        Assert.Equal(2, await db.Developers.CountAsync());
        Assert.Contains("cannot be used", await second.GetStringAsync($"/invite/{token}"));
    }

    [Fact]
    public async Task Ten_sign_ups_racing_on_one_invite_link_make_one_account()
    {
        var (db, app, ownerId, token) = await InviteModeWithAnOwnerAndAViewerInviteAsync();
        await using var owned = db;

        var accounts = _portal.Services.GetRequiredService<Butterbase.Portal.Accounts.DeveloperAccounts>();
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => accounts.SignUpAsync($"racer{i}@example.com", Password, token))));
        Assert.Single(results, d => d is not null);
        Assert.Equal(2, await db.Developers.CountAsync()); // the owner and the one who claimed the link; no account without an app
        Assert.Equal(2, await db.AppMembers.CountAsync(m => m.AppId == app.Id));
    }

    [Fact]
    public async Task Someone_with_an_account_joins_through_the_invite_page_form_and_a_revoked_link_does_nothing()
    {
        Start("open");
        await SignUpAsync(NewClient(), "owner@example.com");
        var guest = NewClient();
        await SignUpAsync(guest, "guest@example.com");
        await using var db = await _portal.Services.GetRequiredService<IDbContextFactory<PortalDb>>().CreateDbContextAsync();
        var ownerId = (await db.Developers.SingleAsync(d => d.Email == "owner@example.com")).Id;
        var app = await _portal.Services.GetRequiredService<AppRegistry>().CreateAsync("Acme", ownerId);
        var team = _portal.Services.GetRequiredService<AppTeam>();
        var grant = new AppGrant(app, AppRole.Owner, ownerId);
        var (revoked, revokedToken) = (await team.InviteAsync(grant, AppRole.Owner))!.Value;
        Assert.Equal(AppTeam.Outcome.Done, await team.RevokeInviteAsync(grant, revoked.Id));
        var (_, token) = (await team.InviteAsync(grant, AppRole.Developer))!.Value;

        Assert.Contains("cannot be used", await guest.GetStringAsync($"/invite/{revokedToken}"));
        var join = await PostAsync(guest, $"/invite/{token}", await TokenAsync(guest, $"/invite/{token}"), "join-app", []);
        Assert.Equal(HttpStatusCode.Redirect, join.StatusCode);
        Assert.Equal($"/apps/{app.Id}", join.Headers.Location!.OriginalString.Replace("https://localhost", ""));
        var roles = await db.AppMembers.AsNoTracking().Where(m => m.AppId == app.Id).Select(m => m.Role).OrderBy(r => r).ToListAsync();
        Assert.Equal(["developer", "owner"], roles);
        // A developer may not invite: the service checks the role itself, whatever a page does.
        var guestId = (await db.Developers.SingleAsync(d => d.Email == "guest@example.com")).Id;
        Assert.Null(await team.InviteAsync(new AppGrant(app, AppRole.Developer, guestId), AppRole.Owner));
        Assert.Equal(AppTeam.Outcome.Forbidden, await team.RemoveAsync(new AppGrant(app, AppRole.Developer, guestId), ownerId));
        Assert.Equal(AppTeam.Outcome.LastOwner, await team.RemoveAsync(grant, ownerId));
    }

    [Fact]
    public async Task A_sign_out_post_without_the_antiforgery_token_is_a_400_and_keeps_the_session()
    {
        Start();
        var client = NewClient();
        await SignUpAsync(client, "owner@example.com");
        var forged = await client.PostAsync("/account/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["returnUrl"] = "/" }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("antiforgery_failed", await forged.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode); // still signed in

        var real = await client.PostAsync("/account/signout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = await TokenAsync(client, "/"), ["returnUrl"] = "/",
        }));
        Assert.Equal(HttpStatusCode.Redirect, real.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
    }
}
