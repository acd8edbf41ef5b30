using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;
using MimeKit;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Gmail reply in two calls: the original's headers first (users.messages.get, format=metadata), then users.messages.send
/// with an RFC 5322 reply. Gmail files a sent message in a thread only when "the requested threadId is specified, the
/// References and In-Reply-To headers are set in compliance with the RFC 2822 standard, and the Subject headers match"
/// (https://developers.google.com/workspace/gmail/api/guides/threads#adding_drafts_and_messages_to_threads), so the reply
/// takes the original's threadId, answers its Message-ID and keeps its subject with "Re: ".
/// </summary>
public sealed class GmailReplyToEmail : CodedTool
{
    private static readonly HttpRequestOptionsKey<JsonObject> Reply = new("butterbase.gmail.reply");
    private static readonly HttpRequestOptionsKey<string> SendUrl = new("butterbase.gmail.send-url");
    private static readonly string[] Headers = ["From", "Reply-To", "To", "Cc", "Subject", "Message-ID", "References"];

    public override IEnumerable<string> Names => ["GMAIL_REPLY_TO_EMAIL"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        if (Text(parameters, "cc") is { } cc) GmailSendEmail.Addresses(new InternetAddressList(), cc, "cc"); // refused before any call
        var read = tool with { Method = "GET", Path = "/gmail/v1/users/me/messages/{message_id}", In = new() { ["message_id"] = "path" } };
        var request = Declarative(toolkit, read, new JsonObject { ["message_id"] = parameters["message_id"]?.DeepClone() }, credentials, apiBaseUrl);
        AddQuery(request, [("format", "metadata"), .. Headers.Select(h => ("metadataHeaders", (string?)h))]);
        request.Options.Set(Reply, parameters);
        request.Options.Set(SendUrl, Declarative(toolkit, tool with { In = [] }, new JsonObject(), credentials, apiBaseUrl).RequestUri!.ToString());
        return request;
    }

    public override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, Func<HttpRequestMessage, Task<HttpResponseMessage>> send, CancellationToken ct)
    {
        var original = await send(request);
        if (!original.IsSuccessStatusCode || !request.Options.TryGetValue(Reply, out var parameters) || !request.Options.TryGetValue(SendUrl, out var url)) return original;
        JsonNode? message;
        using (original)
        {
            try { message = JsonNode.Parse(await original.Content.ReadAsStringAsync(ct)); }
            catch (JsonException) { message = null; }
        }
        if (message?["threadId"]?.GetValue<string>() is not { } threadId)
            return Answer(request, 502, new JsonObject { ["error"] = new JsonObject { ["message"] = "Gmail answered without the original message's thread." } });

        var headers = (message["payload"]?["headers"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(h => (Name: h["name"]?.GetValue<string>() ?? "", Value: h["value"]?.GetValue<string>() ?? ""))
            .GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.OrdinalIgnoreCase);
        string? Header(string name) => headers.GetValueOrDefault(name) is { Length: > 0 } v ? v : null;

        var reply = new MimeMessage();
        reply.From.Add(new MailboxAddress("", "me")); // Gmail sets the authenticated sender
        AddAll(reply.To, Header("Reply-To") ?? Header("From"));
        if (Flag(parameters, "reply_all"))
        {
            AddAll(reply.To, Header("To"));
            AddAll(reply.Cc, Header("Cc"));
        }
        if (Text(parameters, "cc") is { } cc) GmailSendEmail.Addresses(reply.Cc, cc, "cc");
        var subject = Header("Subject") ?? "";
        reply.Subject = subject.StartsWith("Re:", StringComparison.OrdinalIgnoreCase) ? subject : "Re: " + subject;
        if (Header("Message-ID") is { } messageId)
        {
            reply.Headers.Add(HeaderId.InReplyTo, messageId);
            reply.Headers.Add(HeaderId.References, ((Header("References") ?? "") + " " + messageId).Trim());
        }
        reply.Body = new TextPart(Flag(parameters, "is_html") ? "html" : "plain") { Text = Text(parameters, "body") ?? "" };
        var body = new JsonObject { ["raw"] = GmailSendEmail.Raw(reply), ["threadId"] = threadId };
        var sendRequest = FollowUp(request, HttpMethod.Post, url, new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        return await send(sendRequest); // the answer keeps the request (RequestMessage); nothing else holds it
    }

    /// <summary>The original's addresses, as written (a header Gmail gave us; an unparsable one is skipped, not an error).</summary>
    private static void AddAll(InternetAddressList list, string? header)
    {
        if (header is not null && InternetAddressList.TryParse(header, out var parsed))
            foreach (var mailbox in parsed.Mailboxes)
                if (!list.Mailboxes.Any(m => string.Equals(m.Address, mailbox.Address, StringComparison.OrdinalIgnoreCase))) list.Add(mailbox);
    }

    public override ToolOutcome Read(JsonNode? body) => GmailSendEmail.Summary(body);
}

/// <summary>
/// Gmail draft (https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.drafts/create): the message is
/// built as for <see cref="GmailSendEmail"/> and posted as `{ "message": { "raw", "threadId"? } }`.
/// </summary>
public sealed class GmailCreateDraft : CodedTool
{
    public override IEnumerable<string> Names => ["GMAIL_CREATE_DRAFT"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var message = new JsonObject { ["raw"] = GmailSendEmail.Raw(GmailSendEmail.Message(parameters)) };
        if (Text(parameters, "thread_id") is { } thread) message["threadId"] = thread;
        return Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, new JsonObject { ["message"] = message });
    }
}
