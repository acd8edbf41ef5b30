using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using MimeKit;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Gmail send: an RFC 5322 message built with MimeKit (encoded headers, UTF-8 body), base64url-encoded in
/// `raw` (https://developers.google.com/gmail/api/reference/rest/v1/users.messages/send). Returns `messageId`.
/// </summary>
public sealed class GmailSendEmail : CodedTool
{
    public override IEnumerable<string> Names => ["GMAIL_SEND_EMAIL"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl) =>
        Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, new JsonObject { ["raw"] = Raw(Message(parameters)) });

    /// <summary>The message the parameters describe (to, cc, bcc, subject, body, is_html).</summary>
    internal static MimeMessage Message(JsonObject parameters)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("", "me")); // Gmail sets the authenticated sender
        Addresses(message.To, Text(parameters, "to"), "to");
        Addresses(message.Cc, Text(parameters, "cc"), "cc");
        Addresses(message.Bcc, Text(parameters, "bcc"), "bcc");
        message.Subject = Text(parameters, "subject") ?? "";
        message.Body = new TextPart(Flag(parameters, "is_html") ? "html" : "plain") { Text = Text(parameters, "body") ?? "" };
        return message;
    }

    /// <summary>The message as Gmail's `raw`: RFC 5322 bytes, base64url without padding.</summary>
    internal static string Raw(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, stream); // RFC 5322 lines end in CRLF, whatever the host OS
        return Convert.ToBase64String(stream.ToArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Parses a comma-separated address list ("Ann &lt;ann@example.com&gt;, bob@example.com").</summary>
    internal static void Addresses(InternetAddressList list, string? value, string field)
    {
        if (value is null) return;
        if (!InternetAddressList.TryParse(value, out var parsed) || parsed.Count == 0 || parsed.Mailboxes.Any(m => !m.Address.Contains('@')))
            throw new InvalidToolParameter(field, "Give one or more email addresses, separated by commas.");
        list.AddRange(parsed);
    }

    public override ToolOutcome Read(JsonNode? body) => Summary(body);

    internal static ToolOutcome Summary(JsonNode? body) => new(true, new JsonObject
    {
        ["messageId"] = body?["id"]?.DeepClone(),
        ["threadId"] = body?["threadId"]?.DeepClone(),
        ["labelIds"] = body?["labelIds"]?.DeepClone(),
    });
}
