using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Butterbase.Portal.Tests.Support;

/// <summary>A stand-in identity provider: serves its JWKS over real HTTP on loopback and signs RS256 tokens.</summary>
public sealed class JwksServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    public RsaSecurityKey Key { get; } = new(RSA.Create(2048)) { KeyId = "test-key-1" };
    public string JwksUrl { get; }
    public int Requests;
    /// <summary>Where `/moved` redirects (302): a JWKS URL that leads elsewhere.</summary>
    public string? RedirectTo { get; set; }
    public string MovedUrl => JwksUrl.Replace("/.well-known/jwks.json", "/moved");
    /// <summary>How long the JWKS takes to answer (a slow identity provider).</summary>
    public TimeSpan Delay { get; set; }
    /// <summary>Completed when a JWKS request arrives (before <see cref="Delay"/>).</summary>
    public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private JwksServer(WebApplication app, string url) { _app = app; JwksUrl = url; }

    public static async Task<JwksServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        JwksServer? server = null;
        app.MapGet("/.well-known/jwks.json", async () =>
        {
            Interlocked.Increment(ref server!.Requests);
            server.Arrived.TrySetResult();
            if (server.Delay > TimeSpan.Zero) await Task.Delay(server.Delay);
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(server.Key.Rsa.ExportParameters(false)) { KeyId = server.Key.KeyId });
            return Results.Json(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } });
        });
        app.MapGet("/moved", () => Results.Redirect(server!.RedirectTo!));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new JwksServer(app, address + "/.well-known/jwks.json");
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
