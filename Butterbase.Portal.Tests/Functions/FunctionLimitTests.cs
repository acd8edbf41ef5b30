using System.Net;
using Butterbase.Portal.Tests.Support;

namespace Butterbase.Portal.Tests.Functions;

/// <summary>Limits that need their own settings: the per-app concurrency cap.</summary>
public abstract class FunctionLimitTests(PortalApplication portal) : IAsyncLifetime
{
    protected readonly PortalApplication _portal = portal;
    protected TestApp _app = default!;

    public async Task InitializeAsync() => _app = await _portal.CreateAppAsync("Limits");
    public async Task DisposeAsync() => await _portal.DisposeAsync();

    protected async Task DeployAsync(HttpClient admin, string name, string code, int? timeoutMs = null) =>
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync($"v1/{_app.Id}/functions", JsonAssert.Body(new { name, code, timeoutMs }))).StatusCode);
}

public sealed class ConcurrencyCapTests() : FunctionLimitTests(new PortalApplication().With("Butterbase:Functions:MaxConcurrentPerApp", "1"))
{
    [Fact]
    public async Task Over_the_concurrency_cap_an_invocation_is_refused_with_429_and_the_slot_comes_back()
    {
        using var admin = _portal.Http(_app.ApiKey);
        await DeployAsync(admin, "slow", "export default function handler(ctx) { const end = Date.now() + 3000; while (Date.now() < end) {} return { done: true }; }", 5000);
        await DeployAsync(admin, "quick", "export default () => ({ quick: true })");

        Task<HttpResponseMessage> Slow() => admin.PostAsync($"v1/{_app.Id}/fn/slow", JsonAssert.Body(new { }));
        Task<HttpResponseMessage> Quick() => admin.PostAsync($"v1/{_app.Id}/fn/quick", JsonAssert.Body(new { }));

        // Warm the path first (JIT, the worker pool), so the slow call takes its slot at once below.
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

/// <summary>
/// A worker process that exits right after it answers (the supervisor replaces itself when work goes on after an
/// invocation; here every time) must not lose that answer: the host read the exit before the answer under load and
/// turned finished invocations into function_crashed.
/// </summary>
public sealed class WorkerReplacedAfterEachInvocationTests() : FunctionLimitTests(new PortalApplication().With("Butterbase:Functions:IdleWorkerCpuMs", "-1"))
{
    [Fact]
    public async Task An_invocation_whose_worker_exits_after_answering_still_gets_its_answer()
    {
        using var admin = _portal.Http(_app.ApiKey);
        await DeployAsync(admin, "echo", "export default (ctx) => ({ n: ctx.body.n, pid: Deno.pid })");

        var pids = new HashSet<int>();
        for (var n = 0; n < 12; n++)
        {
            var body = await JsonAssert.OkAsync(await admin.PostAsync($"v1/{_app.Id}/fn/echo", JsonAssert.Body(new { n })));
            Assert.Equal(n, body.GetProperty("n").GetInt32());
            pids.Add(body.GetProperty("pid").GetInt32());
        }
        var burst = await Task.WhenAll(Enumerable.Range(100, 6).Select(n => admin.PostAsync($"v1/{_app.Id}/fn/echo", JsonAssert.Body(new { n }))));
        foreach (var response in burst) await JsonAssert.OkAsync(response);
        Assert.Equal(12, pids.Count); // each answer came from a process that then exited: none was reused
    }
}
