using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

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
        // A PFX (path + password) from configuration or a secret store encrypts the keys themselves. Read before the
        // container exists: the certificate is part of how Data Protection is registered.
        var options = builder.Configuration.GetSection(KeyRingOptions.Section).Get<KeyRingOptions>() ?? new KeyRingOptions();
        if (options.CertificatePath is not { Length: > 0 } path) return;
        if (!File.Exists(path))
            throw new OptionsValidationException(Options.DefaultName, typeof(KeyRingOptions),
                [$"{KeyRingOptions.Section}:CertificatePath names no file: '{path}'."]);
        X509Certificate2 certificate;
        try { certificate = X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword); }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(KeyRingOptions),
                [$"{KeyRingOptions.Section}:CertificatePath '{path}' could not be opened as a PFX with {KeyRingOptions.Section}:CertificatePassword ({e.Message})."]);
        }
        dataProtection.ProtectKeysWithCertificate(certificate);
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

/// <summary>`Butterbase:DataProtection`: the PFX that encrypts the key ring at rest (README "Configuration").</summary>
public sealed class KeyRingOptions
{
    public const string Section = "Butterbase:DataProtection";

    public string? CertificatePath { get; set; }
    public string? CertificatePassword { get; set; }
}
