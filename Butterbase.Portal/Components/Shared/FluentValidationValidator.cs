using FluentValidation;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;

namespace Butterbase.Portal.Components.Shared;

/// <summary>
/// Puts a FluentValidation validator's messages on an <see cref="EditForm"/>'s fields, so forms show
/// the same rules the API enforces, inline. Property names such as `jwt.issuer` or
/// `allowed_redirect_urls[0]` map to the form model's `Issuer` / `AllowedRedirectUrls`.
/// </summary>
public sealed class FluentValidationValidator : ComponentBase, IDisposable
{
    [CascadingParameter] private EditContext? EditContext { get; set; }
    [Inject] private IServiceProvider Services { get; init; } = default!;

    private ValidationMessageStore? _messages;
    private IValidator? _validator;
    private EditContext? _subscribed;

    protected override void OnParametersSet()
    {
        if (EditContext is null) throw new InvalidOperationException($"{nameof(FluentValidationValidator)} must be inside an EditForm.");
        if (_subscribed == EditContext) return;
        Unsubscribe();
        _validator = (IValidator?)Services.GetService(typeof(IValidator<>).MakeGenericType(EditContext.Model.GetType()))
            ?? throw new InvalidOperationException($"No validator for {EditContext.Model.GetType().Name}.");
        _messages = new ValidationMessageStore(EditContext);
        EditContext.OnValidationRequested += OnValidationRequested;
        EditContext.OnFieldChanged += OnFieldChanged;
        _subscribed = EditContext;
    }

    private void OnValidationRequested(object? sender, ValidationRequestedEventArgs e) => Validate(null);

    private void OnFieldChanged(object? sender, FieldChangedEventArgs e) => Validate(e.FieldIdentifier);

    private void Validate(FieldIdentifier? only)
    {
        var context = _subscribed!;
        var result = _validator!.Validate(new ValidationContext<object>(context.Model));
        if (only is { } field) _messages!.Clear(field); else _messages!.Clear();
        foreach (var error in result.Errors)
        {
            var target = new FieldIdentifier(context.Model, ModelProperty(context.Model, error.PropertyName));
            if (only is null || target.Equals(only.Value)) _messages.Add(target, error.ErrorMessage);
        }
        context.NotifyValidationStateChanged();
    }

    private static string ModelProperty(object model, string propertyPath)
    {
        // The first segment naming a property of the model wins: `envVars.API_KEY` → EnvVars; `jwt.issuer` → Issuer.
        var segments = propertyPath.Split('.').Select(s => s.IndexOf('[') is var b and >= 0 ? s[..b] : s).ToList();
        foreach (var segment in segments)
        {
            var wanted = segment.Replace("_", "");
            var match = model.GetType().GetProperties().FirstOrDefault(p => string.Equals(p.Name, wanted, StringComparison.OrdinalIgnoreCase));
            if (match is not null) return match.Name;
        }
        return segments[^1];
    }

    private void Unsubscribe()
    {
        if (_subscribed is null) return;
        _subscribed.OnValidationRequested -= OnValidationRequested;
        _subscribed.OnFieldChanged -= OnFieldChanged;
        _subscribed = null;
    }

    public void Dispose() => Unsubscribe();
}
