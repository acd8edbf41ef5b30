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

    public sealed class EnvVar
    {
        public string Key { get; set; } = "";
        public string Value { get; set; } = "";
    }

    public static FunctionForm From(AppFunction function, IReadOnlyDictionary<string, string> env) => new()
    {
        Name = function.Name,
        Code = function.Code,
        TimeoutMs = function.TimeoutMs,
        EnvVars = env.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new EnvVar { Key = e.Key, Value = e.Value }).ToList(),
    };

    /// <summary>The deploy this form stands for; the editor always sends the whole set of variables.</summary>
    public FunctionDeploy ToDeploy() => new(Name.Trim(), Code, EnvVars.Where(e => e.Key.Length > 0 || e.Value.Length > 0)
        .GroupBy(e => e.Key.Trim()).ToDictionary(g => g.Key, g => g.Last().Value), TimeoutMs);
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
