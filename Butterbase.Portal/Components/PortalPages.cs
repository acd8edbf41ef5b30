using Butterbase.Portal.Api;
using Microsoft.AspNetCore.Diagnostics;

namespace Butterbase.Portal.Components;

public static class PortalPages
{
    /// <summary>
    /// A browser that asks for an address nothing answers (a mistyped or stale portal link) gets the portal's own
    /// not-found page (the Router's NotFoundPage), with its layout and a way back, still with status 404 — not an empty
    /// page. Only page navigations: API and MCP callers keep their JSON error bodies (ApiErrors.WriteForBareStatusAsync)
    /// and headers. Only a 404 is re-executed: a bare 400, 405 or 429 is not "not found".
    /// </summary>
    /// <remarks>
    /// Not a UseWhen branch: a branch of a WebApplication has no global route builder, and re-execution without one
    /// never routes to the page (an empty 404 again). The re-execution is on the main pipeline and the middleware after it
    /// switches it off for everything but a page navigation that ended in 404.
    /// </remarks>
    public static IApplicationBuilder UseNotFoundPage(this IApplicationBuilder app) => app
        .UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true)
        .Use(async (context, next) =>
        {
            await next(context);
            if ((context.Response.StatusCode != StatusCodes.Status404NotFound || !IsPageNavigation(context))
                && context.Features.Get<IStatusCodePagesFeature>() is { } pages)
                pages.Enabled = false;
        });

    private static bool IsPageNavigation(HttpContext context) =>
        HttpMethods.IsGet(context.Request.Method) && !ApiErrors.IsApiRequest(context)
        && context.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
}
