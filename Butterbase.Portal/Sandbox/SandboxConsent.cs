using System.Net.Mail;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Butterbase.Portal.Components.Layout;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using MudBlazor.Utilities;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Butterbase.Portal.Sandbox;

/// <summary>
/// The Sandbox's consent page at `/sandbox/connect/authorize` (OpenIddict passthrough: OpenIddict has already checked
/// client, redirect URI, PKCE and scopes when these handlers run). A plain server-rendered form, no Blazor circuit:
/// the sandbox account is whatever email the user types; Allow issues the code, Deny answers `access_denied`.
/// </summary>
internal static class SandboxConsent
{
    public const string DefaultEmail = "alice@sandbox.test";
    private const string EmailField = "email";
    private const string DecisionField = "decision";

    public static void MapSandboxConsent(this WebApplication app)
    {
        var group = app.MapGroup("/sandbox/connect").ExcludeFromDescription();
        group.MapGet("/authorize", Show);
        group.MapPost("/authorize", DecideAsync);
    }

    private static IResult Show(HttpContext http, IAntiforgery antiforgery)
    {
        var request = http.GetOpenIddictServerRequest();
        if (request is null) return Results.NotFound();
        // The page always asks, so a request that forbids asking cannot succeed (OIDC Core §3.1.2.6).
        if (request.HasPromptValue(PromptValues.None))
            return Refuse(Errors.ConsentRequired, "The sandbox always asks for consent.");
        return Page(http, antiforgery, request, Echo(http.Request.Query), DefaultEmail, error: null, StatusCodes.Status200OK);
    }

    private static async Task<IResult> DecideAsync(HttpContext http, IAntiforgery antiforgery)
    {
        var request = http.GetOpenIddictServerRequest();
        if (request is null || !http.Request.HasFormContentType) return Results.NotFound();
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var echoed = Echo(form);
        var email = form[EmailField].ToString().Trim();

        if (!await antiforgery.IsRequestValidAsync(http))
            return Page(http, antiforgery, request, echoed, email, "This form has expired. Check the email and choose again.", StatusCodes.Status400BadRequest);

        switch (form[DecisionField].ToString())
        {
            case "deny":
                return Refuse(Errors.AccessDenied, "The sandbox user denied access.");
            case "allow" when IsEmail(email):
                return Results.SignIn(Principal(email.ToLowerInvariant(), request), properties: null,
                    OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            case "allow":
                return Page(http, antiforgery, request, echoed, email, "Enter an email address, e.g. alice@sandbox.test.", StatusCodes.Status422UnprocessableEntity);
            default:
                return Page(http, antiforgery, request, echoed, email, "Choose Allow or Deny.", StatusCodes.Status400BadRequest);
        }
    }

    /// <summary>The sandbox account: `sub` is the email, so the same email is the same account across connections.</summary>
    private static ClaimsPrincipal Principal(string email, OpenIddictRequest request)
    {
        var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, email)
            .SetClaim(Claims.Email, email)
            .SetClaim(Claims.Name, DisplayName(email));
        // OpenIddict has already rejected scopes it does not know or the client may not ask for.
        identity.SetScopes(request.GetScopes());
        identity.SetDestinations(claim => claim.Type is Claims.Email or Claims.Name && identity.HasScope(Scopes.OpenId)
            ? [Destinations.AccessToken, Destinations.IdentityToken]
            : [Destinations.AccessToken]);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>`alice@sandbox.test` → `Alice`.</summary>
    internal static string DisplayName(string email)
    {
        var local = email.Split('@')[0];
        return local.Length == 0 ? email : char.ToUpperInvariant(local[0]) + local[1..];
    }

    private static bool IsEmail(string value) =>
        value.Length is > 2 and <= SandboxApi.MaxEmailLength
        && MailAddress.TryCreate(value, out var address)
        && address.Address == value;

    /// <summary>Sends the error to the client's redirect URI (with its state), as OAuth 2.0 §4.1.2.1 says.</summary>
    private static IResult Refuse(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    /// <summary>The authorization request's own parameters, carried through the form so OpenIddict validates the POST too.</summary>
    private static List<KeyValuePair<string, string>> Echo(IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> parameters) =>
        parameters
            .Where(p => p.Key is not (EmailField or DecisionField) && !p.Key.StartsWith("__", StringComparison.Ordinal))
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? "")))
            .ToList();

    private static IResult Page(HttpContext http, IAntiforgery antiforgery, OpenIddictRequest request,
        List<KeyValuePair<string, string>> parameters, string email, string? error, int status)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        http.Response.Headers.CacheControl = "no-store";
        var html = Render(request, parameters, email, error, tokens, http.Request.PathBase + http.Request.Path);
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static string Render(OpenIddictRequest request, List<KeyValuePair<string, string>> parameters, string email,
        string? error, AntiforgeryTokenSet tokens, string action)
    {
        var e = HtmlEncoder.Default;
        var primary = PortalTheme.Theme.PaletteLight.Primary.ToString(MudColorOutputFormats.Hex);
        var html = new StringBuilder();
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1.0" />
            <title>Sandbox — authorize Butterbase</title>
            <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
            <link href="/_content/MudBlazor/MudBlazor.min.css" rel="stylesheet" />
            <style>
              body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
                     background: #f4f2fb; font-family: Roboto, Helvetica, Arial, sans-serif; color: rgba(0,0,0,.87); }
              .card { width: 100%; max-width: 440px; margin: 24px; padding: 32px; background: #fff; border-radius: 6px;
                      box-shadow: 0 2px 4px -1px rgba(0,0,0,.2), 0 4px 5px 0 rgba(0,0,0,.14), 0 1px 10px 0 rgba(0,0,0,.12); }
              .badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-size: .75rem; letter-spacing: .04em;
                       text-transform: uppercase; color: {{primary}}; background: {{primary}}1a; }
              h1 { font-size: 1.5rem; font-weight: 500; margin: 12px 0 8px; }
              p { margin: 0 0 16px; line-height: 1.5; color: rgba(0,0,0,.6); }
              ul { margin: 0 0 20px; padding-left: 20px; } li { margin: 4px 0; } code { font-size: .85rem; }
              label { display: block; font-size: .8rem; color: rgba(0,0,0,.6); margin-bottom: 4px; }
              input[type=email] { box-sizing: border-box; width: 100%; padding: 10px 12px; font-size: 1rem;
                                  border: 1px solid rgba(0,0,0,.3); border-radius: 6px; }
              input[type=email]:focus { outline: 2px solid {{primary}}; border-color: transparent; }
              .error { color: #c62828; margin: 12px 0 0; }
              .actions { display: flex; gap: 12px; justify-content: flex-end; margin-top: 24px; }
              button { font: inherit; font-weight: 500; text-transform: uppercase; letter-spacing: .03em; padding: 8px 22px;
                       border-radius: 6px; cursor: pointer; }
              .allow { color: #fff; background: {{primary}}; border: 1px solid {{primary}}; }
              .deny { color: {{primary}}; background: transparent; border: 1px solid {{primary}}80; }
              .note { margin-top: 24px; font-size: .8rem; color: rgba(0,0,0,.5); }
            </style>
            </head>
            <body>
            <main class="card mud-paper">
            <span class="badge">Sandbox</span>
            <h1 class="mud-typography">Authorize Butterbase</h1>
            <p><strong>Butterbase</strong> wants to access your sandbox account with these permissions:</p>
            <ul id="sandbox-scopes">
            """);
        foreach (var scope in request.GetScopes())
            html.Append("<li>").Append(e.Encode(ScopeDescription(scope))).Append(" <code>").Append(e.Encode(scope)).Append("</code></li>\n");
        html.Append($"""
            </ul>
            <form method="post" action="{e.Encode(action)}">
            <input type="hidden" name="{e.Encode(tokens.FormFieldName)}" value="{e.Encode(tokens.RequestToken ?? "")}" />
            """);
        foreach (var (name, value) in parameters)
            html.Append($"""<input type="hidden" name="{e.Encode(name)}" value="{e.Encode(value)}" />""").Append('\n');
        html.Append($"""
            <label for="sandbox-email">Sandbox account (any email; the same email is the same account)</label>
            <input id="sandbox-email" name="{EmailField}" type="email" required autocomplete="off" value="{e.Encode(email)}" />
            """);
        if (error is not null)
            html.Append($"""<p id="sandbox-error" class="error" role="alert">{e.Encode(error)}</p>""");
        html.Append($"""
            <div class="actions">
            <button id="sandbox-deny" class="deny" type="submit" name="{DecisionField}" value="deny" formnovalidate>Deny</button>
            <button id="sandbox-allow" class="allow" type="submit" name="{DecisionField}" value="allow">Allow</button>
            </div>
            </form>
            <p class="note">This is the built-in Sandbox provider of this Butterbase host: no real account, nothing leaves this machine.</p>
            </main>
            </body>
            </html>
            """);
        return html.ToString();
    }

    private static string ScopeDescription(string scope) => scope switch
    {
        SandboxScopes.MessagesRead => "Read your sandbox messages",
        SandboxScopes.MessagesWrite => "Send sandbox messages as you",
        Scopes.OfflineAccess => "Stay connected when you are away (refresh tokens)",
        Scopes.OpenId => "Know who you are",
        _ => scope,
    };
}
