using FluentValidation;

namespace Butterbase.Portal.Functions;

/// <summary>The portal's function editor; validated by the same rules as `POST /functions`.</summary>
public sealed class FunctionForm
{
    /// <summary>Runs at once on a fresh install: the Sandbox toolkit and the README's test user ("test-user").</summary>
    public const string Template = """
        // POST /v1/{appId}/fn/{name}. With a user token ctx.user is that user; with the API key (or Test run below)
        // there is no calling user, so name one: ctx.integrations.asUser(userId).
        export default async function handler(ctx) {
          const integrations = ctx.user ? ctx.integrations : ctx.integrations.asUser(ctx.body.userId);
          const { data, error } = await integrations.execute('SANDBOX_SEND_MESSAGE', {
            to: ctx.body.to ?? 'friend@sandbox.test',
            text: `Hello from ${ctx.user?.id ?? ctx.body.userId}`,
          });
          if (error) return Response.json({ error }, { status: 502 });
          console.log('sent', data.executionId);
          return { ok: data.successful, message: data.data };
        }
        """;

    public string Name { get; set; } = "";
    public string Code { get; set; } = Template;
    public int TimeoutMs { get; set; } = 10_000;
    public List<EnvVar> EnvVars { get; set; } = [];

    /// <summary>
    /// A variable in the editor. A stored one comes with its name only (values are write-only): left empty, it keeps
    /// the value stored under <see cref="StoredAs"/>, also when it is renamed.
    /// </summary>
    public sealed class EnvVar
    {
        public string Key { get; set; } = "";
        public string Value { get; set; } = "";
        public string? StoredAs { get; init; }
        public bool Stored => StoredAs is not null;
    }

    /// <summary>The editor for a deployed function: its variables by name, never their values.</summary>
    public static FunctionForm From(AppFunction function) => new()
    {
        Name = function.Name,
        Code = function.Code,
        TimeoutMs = function.TimeoutMs,
        EnvVars = FunctionsApi.Names(function).Select(name => new EnvVar { Key = name, StoredAs = name }).ToList(),
    };

    /// <summary>
    /// The deploy this form stands for; the editor always sends the whole set of variables. A stored variable left empty
    /// keeps its value from <paramref name="stored"/> (read on the server at deploy time).
    /// </summary>
    public FunctionDeploy ToDeploy(IReadOnlyDictionary<string, string>? stored = null) => new(Name.Trim(), Code, EnvVars
        .Where(e => e.Key.Length > 0 || e.Value.Length > 0)
        .GroupBy(e => e.Key.Trim())
        .ToDictionary(g => g.Key, g => g.Last() is { StoredAs: { } name, Value: "" } && stored?.GetValueOrDefault(name) is { } value ? value : g.Last().Value), TimeoutMs);
}

public sealed class FunctionFormValidator : AbstractValidator<FunctionForm>
{
    public FunctionFormValidator(IValidator<FunctionDeploy> deploy)
    {
        RuleFor(x => x).Custom((form, context) =>
        {
            foreach (var error in deploy.Validate(form.ToDeploy()).Errors) context.AddFailure(error.PropertyName, error.ErrorMessage);
            var duplicate = form.EnvVars.GroupBy(e => e.Key.Trim()).FirstOrDefault(g => g.Key.Length > 0 && g.Count() > 1);
            if (duplicate is not null) context.AddFailure("envVars", $"{duplicate.Key} is set twice.");
        });
    }
}
