using System.Text.Json;
using System.Threading.RateLimiting;
using Butterbase.Portal.Accounts;
using Butterbase.Portal.Apps;
using FluentValidation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;

namespace Butterbase.Portal.Api;

public sealed class RateLimitOptions
{
    /// <summary>Requests per app per window on `/v1/{appId}/…` (docs/security.md [22]).</summary>
    public int PermitsPerApp { get; set; } = 6000;
    public int WindowSeconds { get; set; } = 60;
    /// <summary>`POST /connect` per end user (JWT callers) per minute (docs/security.md [9]).</summary>
    public int ConnectPerUserPerMinute { get; set; } = 30;
}

public static class ApiSetup
{
    public const string PerAppRateLimit = "per-app";
    /// <summary>Anonymous endpoints that do work (an agent's connect link, MCP resource metadata): per client address.</summary>
    public const string PerAddressRateLimit = "per-address";
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static void AddPortalAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.LoginPath = "/account/signin";
                options.LogoutPath = "/account/signout";
                options.Cookie.Name = "bb.portal";
                options.Cookie.HttpOnly = true;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure whenever served over https
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.ExpireTimeSpan = TimeSpan.FromDays(7);
                options.SlidingExpiration = true;
                // The API never redirects to a sign-in page.
                options.Events.OnRedirectToLogin = ctx => RedirectUnlessApi(ctx, 401);
                options.Events.OnRedirectToAccessDenied = ctx => RedirectUnlessApi(ctx, 403);
            })
            .AddScheme<AuthenticationSchemeOptions, ApiAuthenticationHandler>(ApiAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization(ApiPolicies.Add);
        builder.Services.AddSingleton<IAuthorizationHandler, AppAccessHandler>();
        builder.Services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, ApiAuthorizationResultHandler>();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddSingleton<IPasswordHasher<Developer>, PasswordHasher<Developer>>();
        builder.Services.AddAntiforgery(o => o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
    }

    private static Task RedirectUnlessApi(RedirectContext<CookieAuthenticationOptions> ctx, int status)
    {
        if (ApiErrors.IsApiRequest(ctx.HttpContext)) { ctx.Response.StatusCode = status; return Task.CompletedTask; }
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }

    public static void AddPortalApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<JsonOptions>(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);
        // Malformed JSON, wrong content types and oversized bodies throw, so one handler gives them API error bodies.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        services.AddValidatorsFromAssemblyContaining<Program>(ServiceLifetime.Singleton);
        services.AddOpenApi();
        services.AddMemoryCache();
        services.AddHealthChecks().AddCheck<Data.DatabaseHealthCheck>("database");

        services.AddOptions<RateLimitOptions>().BindConfiguration("Butterbase:RateLimit");
        services.AddRateLimiter(options =>
        {
            options.AddPolicy(PerAppRateLimit, context =>
            {
                var limits = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<RateLimitOptions>>().CurrentValue;
                var appId = context.GetRouteValue("appId") as string ?? "";
                return RateLimitPartition.GetFixedWindowLimiter(appId, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.PermitsPerApp,
                    Window = TimeSpan.FromSeconds(limits.WindowSeconds),
                    QueueLimit = 0,
                });
            });
            options.AddPolicy(PerAddressRateLimit, context =>
                RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = 120,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
            // In addition to the per-app policy: each end user may start only so many connections a minute.
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var user = context.User.FindFirst("sub")?.Value;
                if (user is null || !HttpMethods.IsPost(context.Request.Method) || !context.Request.Path.Value!.EndsWith("/integrations/connect", StringComparison.Ordinal))
                    return RateLimitPartition.GetNoLimiter("");
                var limits = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<RateLimitOptions>>().CurrentValue;
                var appId = context.GetRouteValue("appId") as string ?? "";
                return RateLimitPartition.GetFixedWindowLimiter($"connect:{appId}:{user}", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.ConnectPerUserPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                });
            });
            options.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                await ApiErrors.WriteAsync(context.HttpContext, 429, "rate_limited",
                    "This app sent too many requests: retry after the number of seconds in Retry-After.");
            };
        });
    }

    /// <summary>The versioned API root: `/v1/{appId}`, authenticated, rate limited per app.</summary>
    public static RouteGroupBuilder MapApiRoot(this WebApplication app) =>
        app.MapGroup("/v1/{appId}")
            .RequireAuthorization(ApiPolicies.App)
            .RequireRateLimiting(PerAppRateLimit)
            .WithTags("Apps");

    /// <summary>Security headers for every response (docs/security.md [29]).</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        headers.ContentSecurityPolicy = "frame-ancestors 'none'";
        headers.XFrameOptions = "DENY";
        await next();
    });
}
