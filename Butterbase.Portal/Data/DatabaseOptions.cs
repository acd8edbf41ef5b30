using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Data;

/// <summary>
/// Which database the portal uses: `Butterbase:Database:Provider` (`Sqlite`, the default, or `Postgres`) and the
/// connection string for it, `ConnectionStrings:Butterbase` (SQLite) or `ConnectionStrings:Postgres`. Read at start, before
/// the container exists, to choose the provider's context types (<see cref="From"/>), and as options afterwards.
/// </summary>
public sealed class DatabaseOptions
{
    public const string Section = "Butterbase:Database";
    public const string ProviderKey = "Butterbase:Database:Provider";

    public string Provider { get; set; } = "Sqlite";

    /// <summary>`ConnectionStrings:Butterbase` (not under <see cref="Section"/>: set by <see cref="ReadConnectionStrings"/>).</summary>
    public string? SqliteConnectionString { get; internal set; }

    /// <summary>`ConnectionStrings:Postgres`.</summary>
    public string? PostgresConnectionString { get; internal set; }

    public bool UsesPostgres => Provider.Equals("Postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>The settings straight from configuration, for start-up code that runs before dependency injection exists.</summary>
    public static DatabaseOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        ReadConnectionStrings(options, configuration);
        return options;
    }

    internal static void ReadConnectionStrings(DatabaseOptions options, IConfiguration configuration)
    {
        options.SqliteConnectionString = configuration.GetConnectionString("Butterbase");
        options.PostgresConnectionString = configuration.GetConnectionString("Postgres");
    }
}

/// <summary>An unknown provider, or PostgreSQL without its connection string, stops the host at start naming the setting.</summary>
public sealed class DatabaseOptionsValidation : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        if (!options.UsesPostgres && !options.Provider.Equals("Sqlite", StringComparison.OrdinalIgnoreCase))
            return ValidateOptionsResult.Fail($"{DatabaseOptions.ProviderKey} is '{options.Provider}': use Sqlite (the default) or Postgres.");
        if (options.UsesPostgres && string.IsNullOrEmpty(options.PostgresConnectionString))
            return ValidateOptionsResult.Fail(
                $"{DatabaseOptions.ProviderKey} is Postgres: set ConnectionStrings:Postgres (e.g. \"Host=db;Database=butterbase;Username=butterbase;Password=…\").");
        return ValidateOptionsResult.Success;
    }

    /// <summary>Throws what ValidateOnStart would, for settings read before the host exists.</summary>
    public static DatabaseOptions Checked(DatabaseOptions options)
    {
        var result = new DatabaseOptionsValidation().Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(Options.DefaultName, typeof(DatabaseOptions), result.Failures) : options;
    }
}
