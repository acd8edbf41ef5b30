using System.Net;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Functions;

/// <summary>Limits that need their own settings: the statement budget (here 200,000) and the per-app concurrency cap.</summary>
public abstract class FunctionLimitTests(PortalApplication portal) : IAsyncLifetime
{
    protected readonly PortalApplication _portal = portal;
    protected TestApp _app = default!;

    public async Task InitializeAsync() => _app = await _portal.CreateAppAsync("Limits");
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    protected async Task DeployAsync(HttpClient admin, string name, string code, int? timeoutMs = null) =>
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync($"v1/{_app.Id}/functions", JsonAssert.Body(new { name, code, timeoutMs }))).StatusCode);
}

public sealed class StatementBudgetTests() : FunctionLimitTests(new PortalApplication().With("Butterbase:Functions:MaxStatements", "200000"))
{
    [Fact]
    public async Task The_statement_budget_stops_a_busy_handler_and_counts_across_awaits()
    {
        using var admin = _portal.Http(_app.ApiKey);
        await DeployAsync(admin, "busy", "export default function handler(ctx) { let n = 0; for (let i = 0; i < 1e9; i++) n += i; return n; }", 30000);
        var error = await JsonAssert.ErrorAsync(await admin.PostAsync($"v1/{_app.Id}/fn/busy", JsonAssert.Body(new { })), HttpStatusCode.InternalServerError, "function_limit_exceeded");
        Assert.Contains("200,000 statements", error.GetProperty("message").GetString());

        // 1,000 statements per slice, far under the limit each time, but 300 slices are over it together.
        await DeployAsync(admin, "sliced", """
            export default async function handler(ctx) {
              for (let slice = 0; slice < 300; slice++) {
                for (let i = 0; i < 1000; i++) {}
                await ctx.integrations.asUser('u').execute('NO_SUCH_TOOL', {});
              }
              return { finished: true };
            }
            """, 30000);
        await JsonAssert.ErrorAsync(await admin.PostAsync($"v1/{_app.Id}/fn/sliced", JsonAssert.Body(new { })), HttpStatusCode.InternalServerError, "function_limit_exceeded");

        await DeployAsync(admin, "small", "export default function handler(ctx) { let n = 0; for (let i = 0; i < 1000; i++) n += i; return { n }; }");
        Assert.Equal(499500, (await JsonAssert.OkAsync(await admin.PostAsync($"v1/{_app.Id}/fn/small", JsonAssert.Body(new { })))).GetProperty("n").GetInt32());
    }
}

// The slow function below busy-waits on Date.now() for 3 s: on a fast, idle machine that is more statements and more
// (short-lived) allocations than the default budgets allow, and it was once stopped for memory. The budgets are not
// what this class tests, so they are out of the way here.
public sealed class ConcurrencyCapTests() : FunctionLimitTests(new PortalApplication()
    .With("Butterbase:Functions:MaxConcurrentPerApp", "1")
    .With("Butterbase:Functions:MaxAllocatedBytes", (64L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture))
    .With("Butterbase:Functions:MaxStatements", "100000000000"))
{
    [Fact]
    public async Task Over_the_concurrency_cap_an_invocation_is_refused_with_429_and_the_slot_comes_back()
    {
        using var admin = _portal.Http(_app.ApiKey);
        await DeployAsync(admin, "slow", "export default function handler(ctx) { const end = Date.now() + 3000; while (Date.now() < end) {} return { done: true }; }", 5000);
        await DeployAsync(admin, "quick", "export default () => ({ quick: true })");

        Task<HttpResponseMessage> Slow() => admin.PostAsync($"v1/{_app.Id}/fn/slow", JsonAssert.Body(new { }));
        Task<HttpResponseMessage> Quick() => admin.PostAsync($"v1/{_app.Id}/fn/quick", JsonAssert.Body(new { }));

        // Warm the path first (JIT, Jint, the first engine), so the slow call takes its slot at once below.
        Assert.True((await JsonAssert.OkAsync(await Quick())).GetProperty("quick").GetBoolean());
        // While the slow call holds the only slot, a second invocation is refused. Under load the slow call may take a
        // moment to reach its slot (a fixed 700 ms wait raced on 2 busy cores), so probe until refused for as long as it
        // runs; if a probe held the slot just when the slow call arrived, the slow call itself was refused: start it again.
        var first = Slow();
        HttpResponseMessage? refused = null;
        while (refused is null)
        {
            if (first.IsCompleted)
            {
                if ((await first).StatusCode != HttpStatusCode.TooManyRequests) break; // it ran to the end: nothing was refused meanwhile
                first = Slow();
                continue;
            }
            var attempt = await Quick();
            if (attempt.StatusCode == HttpStatusCode.TooManyRequests) refused = attempt;
            else await Task.Delay(50);
        }
        Assert.True(refused is not null, "no invocation was refused while the slow one held the only slot");
        await JsonAssert.ErrorAsync(refused!, HttpStatusCode.TooManyRequests, "too_many_invocations");
        Assert.Equal("1", refused!.Headers.GetValues("Retry-After").Single());

        Assert.True((await JsonAssert.OkAsync(await first)).GetProperty("done").GetBoolean());
        Assert.True((await JsonAssert.OkAsync(await Quick())).GetProperty("quick").GetBoolean());
    }
}
