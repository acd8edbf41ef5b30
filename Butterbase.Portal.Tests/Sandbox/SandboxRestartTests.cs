using System.Net;
using Butterbase.Portal.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Butterbase.Portal.Tests.Sandbox;

/// <summary>
/// A restarted host keeps its sandbox connections working: the client secret is stored, and tokens are Data Protection
/// payloads under the key ring persisted in the database, not under keys that die with the process.
/// </summary>
public sealed class SandboxRestartTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bb-sandbox-restart-").FullName;

    private PortalApplication Start() => new PortalApplication(directory: _directory) // the same database each time
        .With("Butterbase:Sandbox:Enabled", "true");

    [Fact]
    public async Task Tokens_and_the_client_secret_survive_a_restart()
    {
        string secret;
        SandboxDriver.Tokens tokens;
        await using (var first = Start())
        {
            using var sandbox = new SandboxDriver(first);
            tokens = await sandbox.ConnectAsync("restart@sandbox.test");
            secret = sandbox.Client.ClientSecret;
        }

        await using var second = Start();
        using var again = new SandboxDriver(second);
        Assert.Equal(secret, again.Client.ClientSecret);
        await JsonAssert.OkAsync(await again.ApiAsync(HttpMethod.Get, "/me", tokens.AccessToken));
        var refreshed = await SandboxDriver.Tokens.ReadAsync(await again.RefreshAsync(tokens.RefreshToken!));
        Assert.Equal(HttpStatusCode.Created, (await again.ApiAsync(HttpMethod.Post, "/messages", refreshed.AccessToken, new { to = "x", text = "y" })).StatusCode);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
