using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Butterbase.Portal.Tests.Execution;
using Butterbase.Portal.Tests.Support;
using Butterbase.Portal.Tests.Support.Fakes;
using MimeKit;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Functions;

/// <summary>One portal with Gmail and Google Calendar connected for <see cref="CuratedToolsFixture.User"/>, against Google-style fakes.</summary>
public sealed class FunctionsFixture() : CuratedToolsFixture(FakeProviderStyle.Google, new Dictionary<string, string>
{
    ["gmail"] = "",
    ["google-calendar"] = "",
});

/// <summary>Functions: deploy over the API, invoke at /fn/{name} with ctx.integrations, and the sandbox's limits.</summary>
public sealed class FunctionsTests(FunctionsFixture fx) : IClassFixture<FunctionsFixture>
{
    private string Functions => $"v1/{fx.App.Id}/functions";

    /// <summary>docs/api.md "Documented examples", verbatim; the docs leave `userId` free, so the test defines it first.</summary>
    private const string DocumentedHandler = """
        export default async function handler(ctx) {
          // Execute a tool on behalf of the calling user
          const result = await ctx.integrations.execute('GMAIL_SEND_EMAIL', {
            to: ctx.body.email,
            subject: 'Welcome!',
            body: 'Thanks for signing up.',
          });

          // Execute as a specific user (e.g. in a cron job)
          const events = await ctx.integrations.asUser(userId).execute(
            'GOOGLECALENDAR_EVENTS_LIST',
            { timeMin: new Date().toISOString() }
          );

          return { ok: true };
        }
        """;

    private async Task DeployAsync(string name, string code, object? envVars = null, int? timeoutMs = null)
    {
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var response = await admin.PostAsync(Functions, JsonAssert.Body(new { name, code, envVars, timeoutMs }));
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"deploy {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<HttpResponseMessage> InvokeAsync(string name, object? body = null, string? bearer = null)
    {
        using var client = fx.Portal.Http(bearer ?? fx.App.ApiKey);
        return await client.PostAsync($"v1/{fx.App.Id}/fn/{name}", JsonAssert.Body(body ?? new { }));
    }

    private async Task<string> UserTokenAsync(string user = CuratedToolsFixture.User) => await fx.Portal.UserTokenAsync(fx.App, user);

    private async Task<JsonElement> LastInvocationAsync(string name)
    {
        await fx.Portal.Services.GetRequiredService<Butterbase.Portal.Execution.ExecutionLog>().FlushAsync(); // written off the request path, in batches
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var page = await JsonAssert.OkAsync(await admin.GetAsync($"{Functions}/{name}/invocations?limit=1"));
        return page.GetProperty("items")[0];
    }

    [Fact]
    public async Task The_documented_handler_sends_the_email_through_gmail_and_lists_events_as_the_user()
    {
        fx.Api.On("POST", "/gmail/v1/users/me/messages/send", _ => (200, new { id = "msg_welcome", threadId = "t1", labelIds = new[] { "SENT" } }, null));
        fx.Api.On("GET", "/calendar/v3/calendars/primary/events", _ => (200, new { kind = "calendar#events", items = Array.Empty<object>() }, null));
        await DeployAsync("welcome", "const userId = 'ada';\n" + DocumentedHandler);

        var response = await InvokeAsync("welcome", new { email = "new.user@example.com" }, await UserTokenAsync());

        var result = await JsonAssert.OkAsync(response);
        Assert.True(result.GetProperty("ok").GetBoolean());
        var sent = fx.Received("POST", "/gmail/v1/users/me/messages/send");
        var raw = JsonDocument.Parse(sent.Body).RootElement.GetProperty("raw").GetString()!;
        var message = MimeMessage.Load(new MemoryStream(Base64Url(raw)));
        Assert.Equal("new.user@example.com", message.To.Mailboxes.Single().Address);
        Assert.Equal("Welcome!", message.Subject);
        Assert.Contains("Thanks for signing up.", message.TextBody);
        var listed = fx.Received("GET", "/calendar/v3/calendars/primary/events");
        Assert.Contains("timeMin=", listed.Query);

        var invocation = await LastInvocationAsync("welcome");
        Assert.Equal("ok", invocation.GetProperty("outcome").GetString());
        Assert.Equal("ada", invocation.GetProperty("user_id").GetString());
        Assert.True(response.Headers.Contains("X-Butterbase-Invocation-Id"));
    }

    [Fact]
    public async Task Integrations_results_come_back_as_data_and_error_like_the_sdk()
    {
        fx.Api.On("POST", "/gmail/v1/users/me/messages/send", _ => (200, new { id = "msg_2", threadId = "t2", labelIds = new[] { "SENT" } }, null));
        await DeployAsync("results", """
            export default async function handler(ctx) {
              const sent = await ctx.integrations.execute('GMAIL_SEND_EMAIL', { to: 'a@example.com', subject: 's', body: 'b' });
              const unknown = await ctx.integrations.execute('NO_SUCH_TOOL', {});
              const invalid = await ctx.integrations.execute('GMAIL_SEND_EMAIL', { subject: 'no recipient' });
              return { sent, unknown, invalid };
            }
            """);
        var result = await JsonAssert.OkAsync(await InvokeAsync("results", bearer: await UserTokenAsync()));
        var sent = result.GetProperty("sent");
        Assert.Equal(JsonValueKind.Null, sent.GetProperty("error").ValueKind);
        Assert.True(sent.GetProperty("data").GetProperty("successful").GetBoolean());
        Assert.Equal("msg_2", sent.GetProperty("data").GetProperty("data").GetProperty("messageId").GetString());
        Assert.StartsWith("ex_", sent.GetProperty("data").GetProperty("executionId").GetString());
        Assert.Equal("unknown_tool", result.GetProperty("unknown").GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(404, result.GetProperty("unknown").GetProperty("error").GetProperty("status").GetInt32());
        var invalid = result.GetProperty("invalid").GetProperty("error");
        Assert.Equal("invalid_params", invalid.GetProperty("code").GetString());
        Assert.Contains(invalid.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString()!.Contains("to"));
    }

    [Fact]
    public async Task AsUser_with_an_end_user_token_is_refused_and_nothing_reaches_the_provider()
    {
        await DeployAsync("impersonate", """
            export default async function handler(ctx) {
              return await ctx.integrations.asUser('someone-else').execute('GMAIL_SEND_EMAIL', { to: 'x@example.com', subject: 's', body: 'b' });
            }
            """);
        var before = fx.Api.Requests.Count;
        var result = await JsonAssert.OkAsync(await InvokeAsync("impersonate", bearer: await UserTokenAsync()));
        Assert.Equal(JsonValueKind.Null, result.GetProperty("data").ValueKind);
        Assert.Equal("forbidden", result.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("API key", result.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(before, fx.Api.Requests.Count);
    }

    [Fact]
    public async Task With_the_api_key_asUser_acts_for_the_named_user_and_there_is_no_calling_user()
    {
        fx.Api.On("GET", "/calendar/v3/calendars/primary/events", _ => (200, new { kind = "calendar#events", items = new[] { new { id = "ev1", summary = "Standup" } } }, null));
        await DeployAsync("service", """
            export default async function handler(ctx) {
              const asAda = await ctx.integrations.asUser(ctx.body.userId).execute('GOOGLECALENDAR_EVENTS_LIST', { timeMin: '2026-01-01T00:00:00Z' });
              const asCaller = await ctx.integrations.execute('GOOGLECALENDAR_EVENTS_LIST', { timeMin: '2026-01-01T00:00:00Z' });
              return { user: ctx.user, asAda, asCaller };
            }
            """);
        var result = await JsonAssert.OkAsync(await InvokeAsync("service", new { userId = "ada" }));
        Assert.Equal(JsonValueKind.Null, result.GetProperty("user").ValueKind);
        Assert.True(result.GetProperty("asAda").GetProperty("data").GetProperty("successful").GetBoolean());
        Assert.Equal("no_user", result.GetProperty("asCaller").GetProperty("error").GetProperty("code").GetString());

        var other = await JsonAssert.OkAsync(await InvokeAsync("service", new { userId = "nobody" }));
        Assert.Equal("no_connection", other.GetProperty("asAda").GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Ctx_carries_body_user_env_and_query_and_env_values_never_leave_the_host()
    {
        await DeployAsync("echo", """
            export default function handler(ctx) {
              console.log('hello', { n: 1 });
              console.error('careful');
              return { body: ctx.body, user: ctx.user, region: ctx.env.REGION, secretLength: ctx.env.SECRET.length, method: ctx.method, q: ctx.query.q,
                       auth: ctx.headers.authorization ?? null };
            }
            """, envVars: new { REGION = "eu-west", SECRET = "s3cr3t-value-never-shown" });

        using var client = fx.Portal.Http(await UserTokenAsync("grace"));
        var result = await JsonAssert.OkAsync(await client.PostAsync($"v1/{fx.App.Id}/fn/echo?q=search", JsonAssert.Body(new { a = new[] { 1, 2 } })));
        Assert.Equal("[1,2]", result.GetProperty("body").GetProperty("a").GetRawText());
        Assert.Equal("grace", result.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal("eu-west", result.GetProperty("region").GetString());
        Assert.Equal(24, result.GetProperty("secretLength").GetInt32());
        Assert.Equal("POST", result.GetProperty("method").GetString());
        Assert.Equal("search", result.GetProperty("q").GetString());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("auth").ValueKind); // the caller's credential is not handed to the code

        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var detail = await admin.GetStringAsync($"{Functions}/echo");
        Assert.Contains("\"env_vars\":[\"REGION\",\"SECRET\"]", detail);
        Assert.DoesNotContain("s3cr3t", detail);
        Assert.DoesNotContain("s3cr3t", await admin.GetStringAsync(Functions));
        Assert.DoesNotContain("s3cr3t", await fx.Portal.DumpDatabaseAsync());

        var invocation = await LastInvocationAsync("echo");
        var logs = invocation.GetProperty("logs");
        Assert.Equal("log", logs[0].GetProperty("level").GetString());
        Assert.Equal("hello {\"n\":1}", logs[0].GetProperty("message").GetString());
        Assert.Equal("error", logs[1].GetProperty("level").GetString());
        Assert.Equal("grace", invocation.GetProperty("user_id").GetString());
    }

    [Fact]
    public async Task Redeploying_code_keeps_env_vars_and_bumps_the_version()
    {
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var first = await admin.PostAsync(Functions, JsonAssert.Body(new { name = "versioned", code = "export default () => ({ v: 1, k: globalThis.k })", envVars = new { KEY = "one" } }));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var second = await JsonAssert.OkAsync(await admin.PostAsync(Functions, JsonAssert.Body(new { name = "versioned", code = "export default (ctx) => ({ v: 2, key: ctx.env.KEY })" })));
        Assert.Equal(2, second.GetProperty("version").GetInt32());
        var result = await JsonAssert.OkAsync(await InvokeAsync("versioned"));
        Assert.Equal(2, result.GetProperty("v").GetInt32());
        Assert.Equal("one", result.GetProperty("key").GetString());
    }

    [Fact]
    public async Task A_response_object_is_sent_as_is_and_the_req_ctx_form_works()
    {
        await DeployAsync("teapot", """
            export default async function handler(req, ctx) {
              const body = await req.json();
              return new Response(`hello ${body.name} from ${req.method}`, { status: 418, headers: { 'content-type': 'text/plain', 'x-custom': 'yes', 'set-cookie': 'stolen=1' } });
            }
            """);
        var response = await InvokeAsync("teapot", new { name = "ada" });
        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("hello ada from POST", await response.Content.ReadAsStringAsync());
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("yes", response.Headers.GetValues("x-custom").Single());
        Assert.False(response.Headers.Contains("Set-Cookie")); // a function cannot set cookies on the portal's origin

        // Headers act on the portal's whole origin: an allow-list keeps reporting policies (which would send later URLs of
        // the portal and of other apps, OAuth codes included, to the tenant), cookie clearing and redirects out.
        await DeployAsync("origin-headers", """
            export default () => new Response('x', { status: 302, headers: {
              location: 'https://evil.example/', nel: '{"report_to":"g","max_age":31536000}',
              'report-to': '{"group":"g","max_age":31536000,"endpoints":[{"url":"https://evil.example/r"}]}',
              'reporting-endpoints': 'g="https://evil.example/r"', 'clear-site-data': '"cookies"', refresh: '0;url=https://evil.example/',
              'x-butterbase-invocation-id': 'forged', 'cache-control': 'no-store' } })
            """);
        var hostile = await InvokeAsync("origin-headers");
        Assert.Equal(HttpStatusCode.Redirect, hostile.StatusCode);
        foreach (var header in new[] { "Location", "NEL", "Report-To", "Reporting-Endpoints", "Clear-Site-Data", "Refresh" })
            Assert.False(hostile.Headers.NonValidated.Contains(header) || hostile.Content.Headers.NonValidated.Contains(header), header);
        Assert.NotEqual("forged", hostile.Headers.GetValues("X-Butterbase-Invocation-Id").Single());
        Assert.Equal("no-store", hostile.Headers.CacheControl!.ToString());
        await DeployAsync("not-modified", "export default () => new Response('body', { status: 304 })");
        await JsonAssert.ErrorAsync(await InvokeAsync("not-modified"), HttpStatusCode.InternalServerError, "function_error");
        await DeployAsync("nul-header", "export default () => new Response('x', { headers: { 'x-bad': 'a\\u0000b' } })");
        await JsonAssert.ErrorAsync(await InvokeAsync("nul-header"), HttpStatusCode.InternalServerError, "function_error");

        await DeployAsync("page", "export default () => new Response('<script>steal()</script>', { headers: { 'content-type': 'text/html', 'content-security-policy': 'default-src *' } })");
        var page = await InvokeAsync("page");
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        // Served from the portal's origin, so never as a same-origin document that could script the portal.
        Assert.Equal("sandbox; default-src 'none'; frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single());

        await DeployAsync("nothing", "export default async function handler(ctx) { }");
        Assert.Equal(HttpStatusCode.NoContent, (await InvokeAsync("nothing")).StatusCode);
        await DeployAsync("jsonresponse", "export default () => Response.json({ made: true }, { status: 201 })");
        var created = await InvokeAsync("jsonresponse");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True((await JsonAssert.OkAsync(created)).GetProperty("made").GetBoolean());
    }

    [Fact]
    public async Task A_thrown_error_is_a_500_with_its_message_and_is_logged()
    {
        await DeployAsync("throws", "export default async function handler(ctx) { console.log('about to fail'); throw new TypeError('no widgets today'); }");
        var error = await JsonAssert.ErrorAsync(await InvokeAsync("throws"), HttpStatusCode.InternalServerError, "function_error");
        Assert.Contains("TypeError: no widgets today", error.GetProperty("message").GetString());
        var invocation = await LastInvocationAsync("throws");
        Assert.Equal("error", invocation.GetProperty("outcome").GetString());
        Assert.Equal("about to fail", invocation.GetProperty("logs")[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_handler_that_loops_for_ever_is_stopped_at_its_timeout_and_the_host_carries_on()
    {
        await DeployAsync("spin", "export default function handler(ctx) { try { while (true) {} } catch (e) { return { swallowed: true }; } }", timeoutMs: 500);
        var clock = Stopwatch.StartNew();
        var error = await JsonAssert.ErrorAsync(await InvokeAsync("spin"), HttpStatusCode.GatewayTimeout, "function_timeout");
        // Stopped by its own 500 ms timeout (the message names it, so not the 10 s default), not left running: the upper
        // bound only has to be far below "for ever", since all test classes share 2 cores (a 6 s answer was seen once).
        Assert.InRange(clock.ElapsedMilliseconds, 450, 20_000);
        Assert.Contains("500 ms", error.GetProperty("message").GetString());

        await DeployAsync("ok", "export default () => ({ fine: true })");
        Assert.True((await JsonAssert.OkAsync(await InvokeAsync("ok"))).GetProperty("fine").GetBoolean());
        Assert.Equal("timeout", (await LastInvocationAsync("spin")).GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task A_handler_that_allocates_without_bound_is_stopped_even_across_awaits()
    {
        await DeployAsync("hog", "export default function handler(ctx) { const a = []; while (true) a.push(new Array(100000).fill(a.length)); }", timeoutMs: 20000);
        var error = await JsonAssert.ErrorAsync(await InvokeAsync("hog"), HttpStatusCode.InternalServerError, "function_limit_exceeded");
        Assert.Contains("memory", error.GetProperty("message").GetString());

        // Each await hands control back to the host; the budget is the invocation's, not each slice's.
        await DeployAsync("hog-await", """
            export default async function handler(ctx) {
              const kept = [];
              for (;;) {
                for (let i = 0; i < 50; i++) kept.push(new Array(100000).fill(i));
                await ctx.integrations.execute('NO_SUCH_TOOL', {});
              }
            }
            """, timeoutMs: 20000);
        var awaited = await JsonAssert.ErrorAsync(await InvokeAsync("hog-await", bearer: await UserTokenAsync()), HttpStatusCode.InternalServerError, "function_limit_exceeded");
        Assert.Contains("memory", awaited.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Deep_recursion_is_a_catchable_error_of_the_handler()
    {
        await DeployAsync("recurse", "export default function handler(ctx) { const f = (n) => f(n + 1) + 1; return f(0); }");
        var error = await JsonAssert.ErrorAsync(await InvokeAsync("recurse"), HttpStatusCode.InternalServerError, "function_error");
        Assert.Contains("RangeError: Maximum call stack size exceeded", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_handler_has_no_file_environment_network_subprocess_or_ffi_access()
    {
        // Each probe tries the capability through Deno's API and through its Node compatibility layer; every one must be
        // refused by the isolate's permissions (NotCapable), not merely missing. The network probe aims at this very portal.
        await DeployAsync("escape", $$"""
            export default async function handler(ctx) {
              const probe = {};
              const attempt = async (name, f) => { try { await f(); probe[name] = 'allowed'; } catch (e) { probe[name] = e.name; } };
              await attempt('readFile', () => Deno.readTextFile('/etc/passwd'));
              await attempt('readSelf', () => Deno.readTextFile('/proc/self/environ'));
              await attempt('writeFile', () => Deno.writeTextFile('/tmp/butterbase-escape', 'x'));
              await attempt('env', () => Deno.env.get('HOME'));
              await attempt('fetch', () => fetch('{{fx.Portal.Address}}healthz'));
              await attempt('connect', () => Deno.connect({ hostname: '127.0.0.1', port: {{fx.Portal.Address.Port}} }));
              await attempt('run', () => new Deno.Command('/usr/bin/id').output());
              await attempt('ffi', () => Deno.dlopen('libc.so.6', {}));
              await attempt('stdout', () => Deno.stdout.write(new Uint8Array([10])));
              await attempt('broadcast', () => new BroadcastChannel('other-invocations'));
              await attempt('caches', () => caches.open('kept-between-invocations'));
              await attempt('worker', () => new Worker('data:text/javascript,1', { type: 'module' }));
              return probe;
            }
            """);
        var probe = await JsonAssert.OkAsync(await InvokeAsync("escape"));
        foreach (var name in new[] { "readFile", "readSelf", "writeFile", "env", "fetch", "connect", "run", "ffi" })
            Assert.True(probe.GetProperty(name).GetString() == "NotCapable", $"{name}: {probe.GetProperty(name)}");
        // Channels out of the isolate (to the process's stdio, other isolates, or storage kept between invocations) are gone.
        foreach (var name in new[] { "stdout", "broadcast", "caches", "worker" })
            Assert.True(probe.GetProperty(name).GetString() is "TypeError" or "ReferenceError", $"{name}: {probe.GetProperty(name)}");
        Assert.False(File.Exists("/tmp/butterbase-escape"));

        using var admin = fx.Portal.Http(fx.App.ApiKey);
        foreach (var code in new[]
                 {
                     "import fs from 'node:fs';\nexport default () => fs.readFileSync('/etc/passwd', 'utf8');",
                     "export default async () => (await import('node:fs')).readFileSync('/etc/passwd', 'utf8');",
                     "export * from 'https://example.com/x.ts';\nexport default () => 1;",
                 })
        {
            var imports = await JsonAssert.ErrorAsync(await admin.PostAsync(Functions, JsonAssert.Body(new { name = "reads-files", code })), HttpStatusCode.UnprocessableEntity, "validation_failed");
            Assert.Contains("Imports are not available", imports.GetProperty("details")[0].GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task Text_that_is_not_unicode_from_a_function_is_the_callers_invalid_json_not_a_host_error()
    {
        // JSON.stringify writes a lone surrogate as the escape \ud800: the same text the API refuses with 400.
        await DeployAsync("lone-surrogate", $$"""
            export default async (ctx) => {
              const { error } = await ctx.integrations.asUser('{{CuratedToolsFixture.User}}').execute('GMAIL_SEND_EMAIL', { to: 'a@example.com', subject: 'x\ud800', body: 'b' });
              return { code: error?.code, status: error?.status };
            }
            """);
        var result = await JsonAssert.OkAsync(await InvokeAsync("lone-surrogate"));
        Assert.Equal("invalid_json", result.GetProperty("code").GetString());
        Assert.Equal(400, result.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Deploys_are_validated_and_admin_only()
    {
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        var problems = await JsonAssert.ErrorAsync(await admin.PostAsync(Functions, JsonAssert.Body(new { name = "Bad Name", code = "export default function (ctx {", timeoutMs = 999999, envVars = new Dictionary<string, string> { ["1BAD"] = "x" } })),
            HttpStatusCode.UnprocessableEntity, "validation_failed");
        var byField = problems.GetProperty("details").EnumerateArray().ToLookup(d => d.GetProperty("field").GetString(), d => d.GetProperty("message").GetString());
        Assert.Contains("lowercase", byField["name"].Single());
        Assert.Contains("(line 1, column 30)", byField["code"].Single());
        Assert.Contains("30000", byField["timeoutMs"].Single());
        Assert.Contains("not a valid variable name", byField["envVars.1BAD"].Single());

        var noDefault = await JsonAssert.ErrorAsync(await admin.PostAsync(Functions, JsonAssert.Body(new { name = "nodefault", code = "export function handler(ctx) { return 1; }" })),
            HttpStatusCode.UnprocessableEntity, "validation_failed");
        Assert.Contains("default", noDefault.GetProperty("details")[0].GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"{Functions}/nodefault")).StatusCode);

        using var user = fx.Portal.Http(await UserTokenAsync());
        await JsonAssert.ErrorAsync(await user.PostAsync(Functions, JsonAssert.Body(new { name = "sneaky", code = "export default () => 1" })), HttpStatusCode.Forbidden, "forbidden");
        await JsonAssert.ErrorAsync(await user.GetAsync(Functions), HttpStatusCode.Forbidden, "forbidden");
        await JsonAssert.ErrorAsync(await InvokeAsync("missing"), HttpStatusCode.NotFound, "function_not_found");
    }

    [Fact]
    public async Task Delete_removes_the_function_and_malformed_bodies_are_refused_before_running()
    {
        await DeployAsync("temporary", "export default () => ({ here: true })");
        using var admin = fx.Portal.Http(fx.App.ApiKey);
        await JsonAssert.ErrorAsync(await admin.PostAsync($"v1/{fx.App.Id}/fn/temporary", JsonAssert.Raw("{\"a\":")), HttpStatusCode.BadRequest, "invalid_json");
        var text = await admin.PostAsync($"v1/{fx.App.Id}/fn/temporary", new StringContent("plain words", Encoding.UTF8, "text/plain"));
        Assert.True(text.StatusCode == HttpStatusCode.OK, await text.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"{Functions}/temporary")).StatusCode);
        await JsonAssert.ErrorAsync(await InvokeAsync("temporary"), HttpStatusCode.NotFound, "function_not_found");
        await JsonAssert.ErrorAsync(await admin.DeleteAsync($"{Functions}/temporary"), HttpStatusCode.NotFound, "function_not_found");
    }

    [Fact]
    public async Task Another_apps_key_cannot_deploy_invoke_or_read()
    {
        await DeployAsync("private", "export default () => ({ mine: true })");
        var other = await fx.Portal.CreateAppAsync("Other");
        using var stranger = fx.Portal.Http(other.ApiKey);
        await JsonAssert.ErrorAsync(await stranger.PostAsync($"v1/{fx.App.Id}/fn/private", JsonAssert.Body(new { })), HttpStatusCode.Forbidden, "forbidden");
        await JsonAssert.ErrorAsync(await stranger.GetAsync($"{Functions}/private"), HttpStatusCode.Forbidden, "forbidden");
        await JsonAssert.ErrorAsync(await stranger.PostAsync($"v1/{other.Id}/fn/private", JsonAssert.Body(new { })), HttpStatusCode.NotFound, "function_not_found");
    }

    private static byte[] Base64Url(string s) => Convert.FromBase64String(s.Replace('-', '+').Replace('_', '/').PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
}
