using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Execution;

/// <summary>
/// GitHub repository contents (https://docs.github.com/rest/repos/contents#get-repository-content): a file's base64
/// `content` is decoded to UTF-8 text when it is text (binary files stay base64, `encoding` says which), and a
/// directory — which GitHub answers as a bare array — becomes `{ "type": "dir", "entries": [...] }`.
/// </summary>
public sealed class GitHubGetFileContents : CodedTool
{
    public override IEnumerable<string> Names => ["GITHUB_GET_FILE_CONTENTS"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        // A file path keeps its slashes: escape each segment, not the whole path.
        var path = Text(parameters, "path") ?? "";
        if (path.Split('/').Any(s => s is ".." or "."))
            throw new InvalidToolParameter("path", "This value cannot be used in the request path.");
        var request = ToolRequest.Build(toolkit, tool, parameters.Also(p => p["path"] = "__PATH__"), credentials, apiBaseUrl);
        request.RequestUri = new Uri(request.RequestUri!.ToString().Replace("__PATH__", string.Join("/", path.Trim('/').Split('/').Select(Uri.EscapeDataString))));
        if (request.Headers.Accept.Count == 0) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        return request;
    }

    public override ToolOutcome Read(JsonNode? body)
    {
        if (body is JsonArray entries) return new(true, new JsonObject { ["type"] = "dir", ["entries"] = entries.DeepClone() });
        if (body is JsonObject file && file["encoding"]?.GetValue<string>() == "base64" && file["content"]?.GetValue<string>() is { } content)
        {
            var bytes = Convert.FromBase64String(content.Replace("\n", ""));
            var copy = (JsonObject)file.DeepClone();
            if (Utf8Text(bytes) is { } text)
            {
                copy["content"] = text;
                copy["encoding"] = "utf-8";
            }
            else copy["content"] = Convert.ToBase64String(bytes); // one line, without GitHub's line breaks
            return new(true, copy);
        }
        return new(true, body);
    }

    private static string? Utf8Text(byte[] bytes)
    {
        if (Array.IndexOf(bytes, (byte)0) >= 0) return null; // NUL: binary, even if it happens to decode
        try { return new UTF8Encoding(false, true).GetString(bytes); }
        catch (DecoderFallbackException) { return null; }
    }
}
