using System.Security.Claims;
using Butterbase.Portal.Data;
using FluentValidation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Accounts;

/// <summary>Sign-up and sign-in for portal developers: Identity's PBKDF2 password hasher, cookie sessions.</summary>
public sealed class DeveloperAccounts(IDbContextFactory<PortalDb> dbFactory, IPasswordHasher<Developer> hasher, TimeProvider clock)
{
    public async Task<bool> AnyAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Developers.AnyAsync(ct);
    }

    /// <summary>The new developer, or null when the email is taken.</summary>
    public async Task<Developer?> SignUpAsync(string email, string password, CancellationToken ct = default)
    {
        var developer = new Developer
        {
            Id = Ids.New("dev_"),
            Email = email.Trim(),
            NormalizedEmail = Normalize(email),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        developer.PasswordHash = hasher.HashPassword(developer, password);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Developers.AnyAsync(d => d.NormalizedEmail == developer.NormalizedEmail, ct)) return null;
        db.Developers.Add(developer);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException) { return null; } // lost a race on the unique email index
        return developer;
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
}

public sealed class SignUpFormValidator : AbstractValidator<SignUpForm>
{
    public SignUpFormValidator()
    {
        RuleFor(x => x.Email).NotEmpty().WithMessage("Enter your email.")
            .EmailAddress().WithMessage("Enter a valid email address.").MaximumLength(256);
        RuleFor(x => x.Password).NotEmpty().WithMessage("Choose a password.")
            .MinimumLength(10).WithMessage("Use at least 10 characters.").MaximumLength(200);
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
        RuleFor(x => x.Email).NotEmpty().WithMessage("Enter your email.");
        RuleFor(x => x.Password).NotEmpty().WithMessage("Enter your password.");
    }
}

public static class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // A form post (antiforgery checked because it binds a form field), so no link can sign anyone out.
        app.MapPost("/account/signout", async (HttpContext http, [Microsoft.AspNetCore.Mvc.FromForm] string? returnUrl) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.LocalRedirect("/account/signin");
        }).ExcludeFromDescription();
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
