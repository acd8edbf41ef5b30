using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Butterbase.Portal.Data;

/// <summary>
/// The Data Protection key ring that encrypts every stored token and secret: kept in the database (shared by
/// all instances), optionally encrypted at rest with a certificate, and checked at start so a lost key ring
/// stops the host loudly instead of silently orphaning every connection (docs/architecture.md "Credentials and refresh").
/// </summary>
public static class KeyRing
{
    public static void AddPortalDataProtection(this WebApplicationBuilder builder)
    {
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("Butterbase").PersistKeysToDbContext<PortalDb>();
        // A PFX (path + password) from configuration or a secret store encrypts the keys themselves.
        if (builder.Configuration["Butterbase:DataProtection:CertificatePath"] is { Length: > 0 } path)
            dataProtection.ProtectKeysWithCertificate(X509CertificateLoader.LoadPkcs12FromFile(path, builder.Configuration["Butterbase:DataProtection:CertificatePassword"]));
    }

    /// <summary>Refuses to start when connections exist but the keys that decrypt them are gone.</summary>
    public static async Task EnsureKeyRingAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDb>();
        if (await db.Connections.AnyAsync(ct) && !await db.DataProtectionKeys.AnyAsync(ct))
            throw new InvalidOperationException(
                "The database holds connections but no Data Protection keys: their tokens cannot be decrypted. " +
                "Restore the DataProtectionKeys table from a backup; starting anyway would leave every connection unusable.");
    }
}
