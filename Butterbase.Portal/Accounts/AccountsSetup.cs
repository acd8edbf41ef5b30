using Butterbase.Portal.Apps;

namespace Butterbase.Portal.Accounts;

public static class AccountsSetup
{
    /// <summary>Sign-up modes and sign-in throttling (`Butterbase:Accounts`), app membership and the portal's per-operation authorization.</summary>
    public static WebApplicationBuilder AddPortalAccounts(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AccountOptions>().BindConfiguration("Butterbase:Accounts")
            .Validate(o => o.SignUp is SignUpModes.Open or SignUpModes.Invite or SignUpModes.FirstUserOnly,
                "Butterbase:Accounts:SignUp must be open, invite or first-user-only.")
            .ValidateOnStart();
        builder.Services.AddSingleton<DeveloperAccounts>();
        builder.Services.AddSingleton<SignInThrottle>();
        builder.Services.AddSingleton<AppTeam>();
        builder.Services.AddScoped<AppAccess>();
        return builder;
    }
}
