using System.Security.Claims;
using Butterbase.Portal.Data;
using FluentValidation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Butterbase.Portal.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Accounts;

/// <summary>Sign-up and sign-in for portal developers: Identity's PBKDF2 password hasher, cookie sessions.</summary>
public sealed class DeveloperAccounts(IDbContextFactory<PortalDb> dbFactory, IPasswordHasher<Developer> hasher, TimeProvider clock,
    IOptions<AccountOptions> options, SignInThrottle throttle, Apps.AppTeam team)
{
    public async Task<bool> AnyAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Developers.AnyAsync(ct);
    }

    public string SignUpMode => options.Value.SignUp;

    /// <summary>
    /// Whether a sign-up may go ahead under the operator's mode (`Butterbase:Accounts:SignUp`): anyone (`open`), the
    /// first account and then holders of a valid invite link (`invite`), or the first account only (`first-user-only`).
    /// </summary>
    public async Task<bool> SignUpAllowedAsync(string? inviteToken, CancellationToken ct = default)
    {
        if (SignUpMode == SignUpModes.Open) return true;
        if (!await AnyAsync(ct)) return true;
        return SignUpMode == SignUpModes.Invite && await team.FindInviteAsync(inviteToken, ct) is not null;
    }

    /// <summary>
    /// The new developer, or null: the email is taken, or the mode does not allow this sign-up. Callers answer both the
    /// same way, so sign-up does not tell which emails have accounts. A valid invite token joins the app it names.
    /// </summary>
    public async Task<Developer?> SignUpAsync(string email, string password, string? inviteToken = null, CancellationToken ct = default)
    {
        var developer = new Developer
        {
            Id = Ids.New("dev_"),
            Email = email.Trim(),
            NormalizedEmail = Normalize(email),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        developer.PasswordHash = hasher.HashPassword(developer, password); // before any check: every answer costs the same
        var wasFirst = !await AnyAsync(ct);
        if (!await SignUpAllowedAsync(inviteToken, ct)) return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Developers.AnyAsync(d => d.NormalizedEmail == developer.NormalizedEmail, ct)) return null;
        db.Developers.Add(developer);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return null; } // lost a race on the unique email index
        // Two first sign-ups racing on an empty install both saw no account: only the earlier keeps its account.
        if (wasFirst && SignUpMode != SignUpModes.Open && await team.FindInviteAsync(inviteToken, ct) is null)
        {
            var first = await db.Developers.AsNoTracking().OrderBy(d => d.CreatedAt).ThenBy(d => d.Id).Select(d => d.Id).FirstAsync(ct);
            if (first != developer.Id)
            {
                db.Developers.Remove(developer);
                await db.SaveChangesAsync(ct);
                return null;
            }
        }
        if (inviteToken is { Length: > 0 } && await team.AcceptAsync(inviteToken, developer.Id, developer.Email, ct) is null
            && !wasFirst && SignUpMode == SignUpModes.Invite)
        {
            // The invite was this sign-up's only admission, and a concurrent sign-up claimed it first: one link, one account.
            db.Developers.Remove(developer);
            await db.SaveChangesAsync(ct);
            return null;
        }
        return developer;
    }

    public sealed record SignInOutcome(Developer? Developer, TimeSpan RetryAfter)
    {
        public bool Throttled => RetryAfter > TimeSpan.Zero;
    }

    /// <summary>Checks a password under <see cref="SignInThrottle"/>: a throttled attempt is refused without looking at the password.</summary>
    public async Task<SignInOutcome> SignInAsync(string email, string password, string? ip, CancellationToken ct = default)
    {
        var (attempt, wait) = throttle.Begin(Normalize(email), ip);
        if (attempt is null) return new(null, wait);
        using (attempt)
        {
            var developer = await CheckPasswordAsync(email, password, ct);
            if (developer is null) attempt.Failed();
            else attempt.Succeeded();
            return new(developer, TimeSpan.Zero);
        }
    }

    public async Task<Developer?> CheckPasswordAsync(string email, string password, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var normalized = Normalize(email);
        var developer = await db.Developers.FirstOrDefaultAsync(d => d.NormalizedEmail == normalized, ct);
        if (developer is null)
        {
            // Same work for unknown emails, so timing does not tell which emails have accounts.
            hasher.VerifyHashedPassword(new Developer { Id = "", Email = "", NormalizedEmail = "" }, DummyHash, password);
            return null;
        }
        var result = hasher.VerifyHashedPassword(developer, developer.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed) return null;
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            developer.PasswordHash = hasher.HashPassword(developer, password);
            await db.SaveChangesAsync(ct);
        }
        return developer;
    }

    public static Task SignInAsync(HttpContext http, Developer developer) =>
        http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim(ClaimTypes.NameIdentifier, developer.Id), new Claim(ClaimTypes.Name, developer.Email)],
                CookieAuthenticationDefaults.AuthenticationScheme)),
            new AuthenticationProperties { IsPersistent = true });

    private static string Normalize(string email) => email.Trim().ToUpperInvariant();

    private static readonly string DummyHash = new PasswordHasher<Developer>().HashPassword(
        new Developer { Id = "", Email = "", NormalizedEmail = "" }, Guid.NewGuid().ToString());
}

public sealed class SignUpForm
{
    public string Email { get; set; } = "";
    public string Password { get; set; } = "";
    public string ConfirmPassword { get; set; } = "";
    /// <summary>The token of the invite link the person arrived with, if any.</summary>
    public string? Invite { get; set; }
}

public sealed class SignUpFormValidator : AbstractValidator<SignUpForm>
{
    public SignUpFormValidator()
    {
        RuleFor(x => x.Email).NotEmpty().WithMessage("Enter your email.")
            .EmailAddress().WithMessage("Enter a valid email address.").MaximumLength(256);
        RuleFor(x => x.Password).NotEmpty().WithMessage("Choose a password.")
            .MinimumLength(10).WithMessage("Use at least 10 characters.").MaximumLength(200)
            .Must(p => PasswordPolicy.Problem(p) is null).WithMessage(x => PasswordPolicy.Problem(x.Password) ?? "");
        RuleFor(x => x.ConfirmPassword).Equal(x => x.Password).WithMessage("The passwords do not match.");
    }
}

public sealed class SignInForm
{
    public string Email { get; set; } = "";
    public string Password { get; set; } = "";
}

public sealed class SignInFormValidator : AbstractValidator<SignInForm>
{
    public SignInFormValidator()
    {
        RuleFor(x => x.Email).NotEmpty().WithMessage("Enter your email.").MaximumLength(256).WithMessage("An email is at most 256 characters.");
        RuleFor(x => x.Password).NotEmpty().WithMessage("Enter your password.").MaximumLength(1024).WithMessage("A password is at most 1024 characters.");
    }
}

public static class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // A form post with an antiforgery token, so no link or foreign page can sign anyone out. Checked here rather than by
        // form binding: a post without the token is the client's error, answered 400, not an unhandled exception (a 500).
        app.MapPost("/account/signout", async Task<Results<RedirectHttpResult, BadRequest<ApiError>>> (HttpContext http, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http))
                return TypedResults.BadRequest(new ApiError("antiforgery_failed", "Sign out from the portal's own Sign out button."));
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.LocalRedirect("/account/signin");
        }).DisableAntiforgery().ExcludeFromDescription();
    }

    /// <summary>Only local paths: the sign-in page never bounces anyone to another site.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\")
            ? returnUrl : "/";
}

public static class DeveloperClaims
{
    public static string DeveloperId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("Not signed in.");
}
