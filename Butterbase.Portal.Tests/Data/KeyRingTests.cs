using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Butterbase.Portal.Connections;
using Butterbase.Portal.Data;
using Butterbase.Portal.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Butterbase.Portal.Tests.Data;

/// <summary>docs/security.md [25] / docs/architecture.md "Credentials and refresh": the key ring is kept in the database, can be encrypted at rest, and its loss stops the host.</summary>
public sealed class KeyRingTests
{
    private static async Task SeedConnectionAsync(PortalApplication portal)
    {
        var app = await portal.CreateAppAsync("Keys");
        await using var scope = portal.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
        var connection = new Connection { Id = "cn_keyring", AppId = app.Id, UserId = "u", ToolkitSlug = "sendgrid", AuthScheme = "api_key", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow };
        connection.Credentials = portal.Services.GetRequiredService<CredentialProtector>().Protect(app.Id, connection.Id, new StoredCredentials { Scheme = "api_key", ApiKey = "SG.key" });
        db.Connections.Add(connection);
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task A_lost_key_ring_stops_the_host_instead_of_orphaning_the_connections()
    {
        string directory;
        await using (var first = new PortalApplication { KeepDirectory = true })
        {
            await SeedConnectionAsync(first);
            directory = first.Directory;
        }
        try
        {
            // Restarting on the same database works while the keys are there…
            await using (var again = new PortalApplication(directory: directory))
                Assert.NotNull(again.Address);

            // …and refuses to start once they are gone.
            await using (var stopped = new PortalApplication(directory: directory))
                await stopped.ExecuteSqlAsync("DELETE FROM \"DataProtectionKeys\""); // not started: only its database is used
            await using var broken = new PortalApplication(directory: directory);
            var error = Assert.ThrowsAny<Exception>(() => broken.Address);
            Assert.Contains("no Data Protection keys", error.ToString());
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(directory, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task With_a_certificate_the_keys_are_encrypted_at_rest()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=butterbase-keys", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var pfx = Path.Combine(Path.GetTempPath(), $"bb-keys-{Guid.NewGuid():N}.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "pfx-password"));
        try
        {
            await using var portal = new PortalApplication()
                .With("Butterbase:DataProtection:CertificatePath", pfx)
                .With("Butterbase:DataProtection:CertificatePassword", "pfx-password");
            await SeedConnectionAsync(portal);
            await using var scope = portal.Services.CreateAsyncScope();
            var keys = await scope.ServiceProvider.GetRequiredService<PortalDb>().DataProtectionKeys.Select(k => k.Xml).ToListAsync();
            Assert.NotEmpty(keys);
            Assert.All(keys, xml =>
            {
                Assert.Contains("EncryptedData", xml);
                Assert.DoesNotContain("<value>", xml); // the raw master key element
            });
            var row = await scope.ServiceProvider.GetRequiredService<PortalDb>().Connections.SingleAsync();
            Assert.Equal("SG.key", portal.Services.GetRequiredService<CredentialProtector>().Unprotect(row.AppId, row.Id, row.Credentials).ApiKey);
        }
        finally { File.Delete(pfx); }
    }
}
