using Butterbase.Portal.Api;
using FluentValidation;

namespace Butterbase.Portal.Webhooks;

/// <summary>
/// `/v1/{appId}/webhooks` (the app's API key: admin rights). Secrets appear only in the create answer, `GET …/{id}/secret`
/// and `POST …/{id}/rotate-secret`; every other answer and the delivery log carry none (docs/security.md "Webhooks").
/// </summary>
public static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder app)
    {
        var webhooks = app.MapGroup("/webhooks").WithTags("Webhooks").RequireAuthorization(ApiPolicies.AppAdmin);
        webhooks.MapPost("", Create).Validate<WebhookCreate>().WithSummary("Add an endpoint; the answer holds its signing secret")
            .Produces<CreatedRow>(201).Produces<ApiError>(422).Produces<ApiError>(409);
        webhooks.MapGet("", List).WithSummary("The app's endpoints (no secrets)").Produces<Page<EndpointRow>>();
        webhooks.MapGet("/{id}", Get).WithSummary("One endpoint (no secret)").Produces<EndpointRow>().Produces<ApiError>(404);
        webhooks.MapPatch("/{id}", Update).Validate<WebhookPatch>().WithSummary("Change url, events or enabled (fields present replace)")
            .Produces<EndpointRow>().Produces<ApiError>(404).Produces<ApiError>(422);
        webhooks.MapDelete("/{id}", Delete).WithSummary("Delete an endpoint and its delivery log").Produces(204).Produces<ApiError>(404);
        webhooks.MapGet("/{id}/secret", Secret).WithSummary("The endpoint's signing secret (whsec_…)").Produces<SecretRow>().Produces<ApiError>(404);
        webhooks.MapPost("/{id}/rotate-secret", Rotate).WithSummary("A new signing secret; the old one keeps signing for 24 h")
            .Produces<SecretRow>().Produces<ApiError>(404);
        webhooks.MapPost("/{id}/test", Test).WithSummary("Send webhook.test to this endpoint").Produces<Queued>(202).Produces<ApiError>(404);
        webhooks.MapGet("/{id}/deliveries", Deliveries).WithSummary("The endpoint's delivery log, newest first").Produces<DeliveryPage>().Produces<ApiError>(404);
        webhooks.MapPost("/{id}/deliveries/{deliveryId}/replay", Replay).WithSummary("Send a logged message again, with the same webhook-id")
            .Produces<Queued>(202).Produces<ApiError>(404);
        return app;
    }

    public sealed record WebhookCreate(string? Url, List<string>? Events, bool? Enabled);

    public sealed record WebhookPatch(string? Url, List<string>? Events, bool? Enabled);

    public sealed class WebhookCreateValidator : AbstractValidator<WebhookCreate>
    {
        public WebhookCreateValidator(WebhookEndpoints endpoints)
        {
            RuleFor(x => x.Url).Custom((url, ctx) => { if (endpoints.ProblemWithUrl(url) is { } p) ctx.AddFailure("url", p); });
            RuleFor(x => x.Events).Custom((events, ctx) => { if (WebhookEndpoints.ProblemWithEvents(events) is { } p) ctx.AddFailure("events", p); });
        }
    }

    public sealed class WebhookPatchValidator : AbstractValidator<WebhookPatch>
    {
        public WebhookPatchValidator(WebhookEndpoints endpoints)
        {
            RuleFor(x => x.Url).Custom((url, ctx) => { if (endpoints.ProblemWithUrl(url) is { } p) ctx.AddFailure("url", p); }).When(x => x.Url is not null);
            RuleFor(x => x.Events).Custom((events, ctx) => { if (WebhookEndpoints.ProblemWithEvents(events) is { } p) ctx.AddFailure("events", p); });
        }
    }

    /// <summary>An endpoint as the API shows it: never its secret.</summary>
    public sealed record EndpointRow(string Id, string Url, IReadOnlyList<string> Events, bool Enabled, string? DisabledReason, DateTime CreatedAt, DateTime UpdatedAt)
    {
        public static EndpointRow From(WebhookEndpoint e) => new(e.Id, e.Url, e.EventList, e.Enabled, e.DisabledReason, e.CreatedAt, e.UpdatedAt);
    }

    public sealed record CreatedRow(string Id, string Url, IReadOnlyList<string> Events, bool Enabled, string Secret, DateTime CreatedAt);

    public sealed record SecretRow(string Secret);

    public sealed record Queued(string MessageId);

    public sealed record DeliveryRow(string Id, string MessageId, string EventType, int Attempt, int? StatusCode, string? Error, int DurationMs,
        DateTime CreatedAt, DateTime? NextAttemptAt, string? Request, string? Response)
    {
        public static DeliveryRow From(WebhookAttempt a) =>
            new(a.Id, a.MessageId, a.EventType, a.Attempt, a.StatusCode, a.Error, a.DurationMs, a.CreatedAt, a.NextAttemptAt, a.Request, a.Response);
    }

    public sealed record DeliveryPage(IReadOnlyList<DeliveryRow> Items, int Limit, int Offset);

    private static IResult NotFound() => ApiErrors.NotFound("not_found", "No such webhook endpoint.");

    private static async Task<IResult> Create(string appId, WebhookCreate body, WebhookEndpoints endpoints, CancellationToken ct)
    {
        var (endpoint, secret, problem) = await endpoints.CreateAsync(appId, body.Url!, body.Events, body.Enabled ?? true, ct);
        if (problem is not null) return ApiErrors.Result(409, problem.Error, problem.Message);
        return TypedResults.Json(new CreatedRow(endpoint!.Id, endpoint.Url, endpoint.EventList, endpoint.Enabled, secret!, endpoint.CreatedAt), ApiJson.Snake, statusCode: 201);
    }

    private static async Task<IResult> List(string appId, WebhookEndpoints endpoints, CancellationToken ct)
    {
        var all = await endpoints.ListAsync(appId, ct);
        return TypedResults.Json(new Page<EndpointRow>(all.Select(EndpointRow.From).ToList(), all.Count, all.Count, 0), ApiJson.Snake);
    }

    private static async Task<IResult> Get(string appId, string id, WebhookEndpoints endpoints, CancellationToken ct) =>
        await endpoints.FindAsync(appId, id, ct) is { } e ? TypedResults.Json(EndpointRow.From(e), ApiJson.Snake) : NotFound();

    private static async Task<IResult> Update(string appId, string id, WebhookPatch body, WebhookEndpoints endpoints, CancellationToken ct) =>
        await endpoints.UpdateAsync(appId, id, body.Url, body.Events, body.Enabled, ct) is { } e ? TypedResults.Json(EndpointRow.From(e), ApiJson.Snake) : NotFound();

    private static async Task<IResult> Delete(string appId, string id, WebhookEndpoints endpoints, CancellationToken ct) =>
        await endpoints.DeleteAsync(appId, id, ct) ? TypedResults.NoContent() : NotFound();

    private static async Task<IResult> Secret(string appId, string id, HttpResponse response, WebhookEndpoints endpoints, CancellationToken ct)
    {
        response.Headers.CacheControl = "no-store";
        return await endpoints.SecretAsync(appId, id, ct) is { } secret ? TypedResults.Json(new SecretRow(secret), ApiJson.Snake) : NotFound();
    }

    private static async Task<IResult> Rotate(string appId, string id, HttpResponse response, WebhookEndpoints endpoints, CancellationToken ct)
    {
        response.Headers.CacheControl = "no-store";
        return await endpoints.RotateAsync(appId, id, ct) is { } secret ? TypedResults.Json(new SecretRow(secret), ApiJson.Snake) : NotFound();
    }

    private static async Task<IResult> Test(string appId, string id, WebhookEndpoints endpoints, CancellationToken ct) =>
        await endpoints.SendTestAsync(appId, id, ct) is { } messageId ? TypedResults.Json(new Queued(messageId), ApiJson.Snake, statusCode: 202) : NotFound();

    private static async Task<IResult> Deliveries(string appId, string id, int? limit, int? offset, WebhookEndpoints endpoints, CancellationToken ct)
    {
        var (l, o, problems) = Paging.Read(limit, offset);
        if (problems.Count > 0) return ApiErrors.Validation(problems);
        if (await endpoints.FindAsync(appId, id, ct) is null) return NotFound();
        var items = await endpoints.DeliveriesAsync(appId, id, l, o, ct);
        return TypedResults.Json(new DeliveryPage(items.Select(DeliveryRow.From).ToList(), l, o), ApiJson.Snake);
    }

    private static async Task<IResult> Replay(string appId, string id, string deliveryId, WebhookEndpoints endpoints, CancellationToken ct) =>
        await endpoints.ReplayAsync(appId, id, deliveryId, ct) is { } messageId
            ? TypedResults.Json(new Queued(messageId), ApiJson.Snake, statusCode: 202)
            : ApiErrors.NotFound("not_found", "No such delivery for this endpoint.");
}
