using FluentValidation;

namespace Butterbase.Portal.Api;

/// <summary>Runs the FluentValidation validator of the request body; failures become `422 validation_failed`.</summary>
public sealed class ValidationFilter<T> : IEndpointFilter where T : class
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var body = context.Arguments.OfType<T>().FirstOrDefault();
        if (body is null)
            return ApiErrors.Result(400, ErrorCodes.InvalidJson, "A JSON body is required.");
        var validator = context.HttpContext.RequestServices.GetRequiredService<IValidator<T>>();
        var result = await validator.ValidateAsync(body, context.HttpContext.RequestAborted);
        if (!result.IsValid)
            return ApiErrors.Validation(Details(result));
        return await next(context);
    }

    public static IReadOnlyList<ApiErrorDetail> Details(FluentValidation.Results.ValidationResult result) =>
        result.Errors.Select(e => new ApiErrorDetail(e.PropertyName, e.ErrorMessage)).ToList();
}

public static class ValidationExtensions
{
    public static RouteHandlerBuilder Validate<T>(this RouteHandlerBuilder builder) where T : class =>
        builder.AddEndpointFilter<ValidationFilter<T>>().Produces<ApiError>(422);
}
