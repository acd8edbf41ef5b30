using Butterbase.Portal.Accounts;
using Butterbase.Portal.Api;
using Butterbase.Portal.Apps;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Components;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Execution;
using Butterbase.Portal.Functions;
using Butterbase.Portal.Mcp;
using Butterbase.Portal.Outbound;
using Butterbase.Portal.Scheduling;
using Butterbase.Portal.Telemetry;
using Butterbase.Portal.Toolkits;
using Butterbase.Portal.Webhooks;
using MudBlazor.Services;
using Scalar.AspNetCore;

// Every outbound call goes to a third party (providers, their token endpoints, external JWKS): never send them trace
// context. Without this, HttpClient copies the caller's `traceparent`/`tracestate`/`baggage` (and the trace id of the
// request) into every provider call.
System.Diagnostics.DistributedContextPropagator.Current = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator();

var builder = WebApplication.CreateBuilder(args);
if (AppsCli.IsCli(args))
    builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);

builder.Services.AddSingleton(TimeProvider.System);
builder.AddOutbound();
builder.AddTelemetry();
builder.AddPortalDatabase();
builder.Services.AddCacheInvalidation();
builder.AddPortalDataProtection();
builder.AddPortalAuth();
builder.AddPortalAccounts();
builder.AddPortalApi();
builder.AddSandbox();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();
builder.Services.AddApps();
builder.Services.AddToolkits();
builder.Services.AddPortalConnections();
builder.Services.AddExecution();
builder.Services.AddFunctions();
builder.Services.AddMcpEndpoint();
builder.Services.AddWebhooks();
builder.AddScheduling();

var app = builder.Build();
if (AppsCli.IsCli(args)) return await AppsCli.RunAsync(app, args);

// The catalog loads at start, not on the first request, on another core while the database is migrated and the key
// ring checked (the first EF queries pay for the query pipeline's JIT; docs/architecture.md "Start-up").
var catalogLoaded = Task.Run(() => app.Services.GetRequiredService<ToolkitCatalog>());
await app.Services.MigrateDatabaseAsync();
await app.Services.EnsureKeyRingAsync();
await catalogLoaded;
await app.Services.MoveMergedToolkitSlugsAsync();

app.UseOutbound();
app.UseExceptionHandler(new ExceptionHandlerOptions
{
    ExceptionHandler = ApiErrors.HandleExceptionAsync,
    // A client's malformed request is its error, not ours: answered, not logged as a failure.
    SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException,
});
app.UseStatusCodePages(ApiErrors.WriteForBareStatusAsync);
app.UseNotFoundPage(); // after the API's bare-status bodies: browsers asking for an unknown page get the portal's not-found page
app.UseSecurityHeaders();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseAntiforgery();
app.UseMcpCallers();

app.MapStaticAssets();
app.MapHealthChecks("/healthz");
app.MapOpenApi();
app.MapScalarApiReference();
app.MapAccountEndpoints();
var api = app.MapApiRoot();
api.MapAppsApi();
api.MapFunctionsApi();
api.MapMcpServersApi();
api.MapWebhooksApi();
api.MapGroup("/integrations").WithTags("Integrations").MapCatalogApi().MapToolkitsApi().MapConnectionsApi().MapExecuteApi().MapExecutionsApi().MapProxyApi();
app.MapOAuthCallback();
app.MapMcpEndpoint();
app.MapCatalogLogos();
app.MapSandbox();
app.MapRazorComponents<Root>()
    .AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null); // UseSecurityHeaders sends frame-ancestors 'none'

app.Run();
return 0;

public partial class Program;
