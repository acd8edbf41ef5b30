using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Butterbase.Portal.Catalog;
using Butterbase.Portal.Connections;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Drive multipart upload: one `multipart/related` request whose first part is the file's metadata as JSON and whose
/// second part is the content (https://developers.google.com/workspace/drive/api/guides/manage-uploads#multipart,
/// POST /upload/drive/v3/files?uploadType=multipart, 5 MB at most). `content` is text, or base64 when
/// `content_base64` is true; `convertTo` becomes the metadata's mimeType, which makes Drive convert the upload.
/// </summary>
public sealed class GoogleDriveUploadFile : CodedTool
{
    /// <summary>The fields the tool's response schema promises (files.create returns only id, name, mimeType by default).</summary>
    private const string Fields = "id,name,mimeType,webViewLink,size,modifiedTime,parents";

    public override IEnumerable<string> Names => ["GOOGLEDRIVE_UPLOAD_FILE"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var isBase64 = Flag(parameters, "content_base64");
        var content = parameters["content"] is JsonValue c && c.TryGetValue<string>(out var s) ? s : "";
        var bytes = isBase64 ? Base64(content) : Encoding.UTF8.GetBytes(content);
        if (bytes.Length > 5 * 1024 * 1024)
            throw new InvalidToolParameter("content", "Multipart uploads take at most 5 MB.");
        var mediaType = Text(parameters, "mimeType") ?? (isBase64 ? "application/octet-stream" : "text/plain");
        if (!MediaTypeHeaderValue.TryParse(mediaType, out var contentType))
            throw new InvalidToolParameter("mimeType", "Give a MIME type such as text/plain or image/png.");

        var metadata = new JsonObject { ["name"] = Text(parameters, "name") ?? throw new InvalidToolParameter("name", "Give the file name.") };
        if (Text(parameters, "convertTo") is { } target) metadata["mimeType"] = target;
        if (Text(parameters, "parentId") is { } parent) metadata["parents"] = new JsonArray(parent);

        var request = Declarative(toolkit, tool, parameters, credentials, apiBaseUrl);
        AddQuery(request, ("uploadType", "multipart"), ("fields", Fields), ("supportsAllDrives", "true"));
        var media = new ByteArrayContent(bytes);
        media.Headers.ContentType = contentType;
        request.Content = new MultipartContent("related")
        {
            new StringContent(metadata.ToJsonString(), Encoding.UTF8, "application/json"),
            media,
        };
        return request;
    }

    private static byte[] Base64(string text)
    {
        // Standard or URL-safe alphabet, padding optional, line breaks ignored.
        var normalized = new string(text.Where(ch => !char.IsWhiteSpace(ch)).ToArray()).Replace('-', '+').Replace('_', '/');
        normalized = normalized.PadRight(normalized.Length + (4 - normalized.Length % 4) % 4, '=');
        try { return Convert.FromBase64String(normalized); }
        catch (FormatException) { throw new InvalidToolParameter("content", "content_base64 is true but content is not valid base64."); }
    }
}

/// <summary>
/// Drive download in two calls: the file's metadata first (name, MIME type, size), then its content — `alt=media` for
/// a stored file, or `files/{id}/export?mimeType=` for a Google Docs editors file, which cannot be downloaded as is
/// (https://developers.google.com/workspace/drive/api/guides/manage-downloads). The second call and the conversion of
/// the bytes to JSON happen in <see cref="GoogleDriveDownloadHandler"/>, because the runner reads answers as text:
/// text comes back as text, anything else as base64, up to <see cref="MaxBytes"/>.
/// </summary>
public sealed class GoogleDriveDownloadFile : CodedTool
{
    public const int MaxBytes = 512 * 1024;

    /// <summary>Marks a download request for the handler; the value is the export format for Google Docs editors files.</summary>
    public static readonly HttpRequestOptionsKey<string> ExportAs = new("butterbase.googledrive.export-as");

    public override IEnumerable<string> Names => ["GOOGLEDRIVE_DOWNLOAD_FILE"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var request = Declarative(toolkit, tool with { In = new() { ["fileId"] = "path" } }, parameters, credentials, apiBaseUrl);
        AddQuery(request, ("fields", "id,name,mimeType,size"), ("supportsAllDrives", "true"));
        request.Options.Set(ExportAs, Text(parameters, "exportMimeType") ?? "application/pdf");
        return request;
    }

    /// <summary>The handler answers `refused` (with the file's metadata) for what it will not return: too large, a folder.</summary>
    public override ToolOutcome Read(JsonNode? body) =>
        body?["refused"] is JsonValue refused && refused.TryGetValue<string>(out var reason)
            ? new ToolOutcome(false, body, "upstream_error", reason)
            : new ToolOutcome(true, body);
}

/// <summary>The content half of <see cref="GoogleDriveDownloadFile"/>, on the execution client's handler chain.</summary>
public sealed class GoogleDriveDownloadHandler : DelegatingHandler
{
    private const string GoogleAppsPrefix = "application/vnd.google-apps.";
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Every provider call passes here: any other call goes straight on, without a state machine of its own.
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        request.Options.TryGetValue(GoogleDriveDownloadFile.ExportAs, out var exportAs)
            ? DownloadAsync(request, exportAs, cancellationToken)
            : base.SendAsync(request, cancellationToken);

    private async Task<HttpResponseMessage> DownloadAsync(HttpRequestMessage request, string exportAs, CancellationToken cancellationToken)
    {
        var metadata = await base.SendAsync(request, cancellationToken);
        if (!metadata.IsSuccessStatusCode) return metadata;
        JsonObject? file;
        using (metadata)
        {
            try { file = JsonNode.Parse(await metadata.Content.ReadAsStringAsync(cancellationToken)) as JsonObject; }
            catch (JsonException) { file = null; }
        }
        if (file?["mimeType"]?.GetValue<string>() is not { } storedType)
            return Answer(request, new JsonObject { ["error"] = "Google Drive answered without the file's metadata." }, 502);
        var size = long.TryParse(file["size"]?.GetValue<string>(), out var n) ? n : (long?)null;
        var result = new JsonObject { ["fileId"] = file["id"]?.DeepClone(), ["name"] = file["name"]?.DeepClone(), ["mimeType"] = storedType };
        if (size > GoogleDriveDownloadFile.MaxBytes) return TooLarge(request, result, size.Value);
        if (storedType is GoogleAppsPrefix + "folder" or GoogleAppsPrefix + "shortcut")
            return Refuse(request, result, "This is a folder or a shortcut, which has no content: list its files with GOOGLEDRIVE_LIST_FILES.");

        var fileUrl = request.RequestUri!.GetLeftPart(UriPartial.Path);
        var isEditorFile = storedType.StartsWith(GoogleAppsPrefix, StringComparison.Ordinal);
        using var download = CodedTool.FollowUp(request, HttpMethod.Get, isEditorFile
            ? $"{fileUrl}/export?mimeType={Uri.EscapeDataString(exportAs)}"
            : $"{fileUrl}?alt=media&supportsAllDrives=true");
        var response = await base.SendAsync(download, cancellationToken);
        if (!response.IsSuccessStatusCode) return response;
        using (response)
        {
            var bytes = await ReadAtMostAsync(response.Content, GoogleDriveDownloadFile.MaxBytes + 1, cancellationToken);
            if (bytes.Length > GoogleDriveDownloadFile.MaxBytes) return TooLarge(request, result, response.Content.Headers.ContentLength ?? bytes.Length);
            var contentType = response.Content.Headers.ContentType?.MediaType ?? (isEditorFile ? exportAs : storedType);
            var text = AsText(bytes, response.Content.Headers.ContentType?.CharSet, contentType);
            result["mimeType"] = contentType;
            result["encoding"] = text is null ? "base64" : "utf-8";
            result["content"] = text ?? Convert.ToBase64String(bytes);
            result["size"] = bytes.Length;
            if (isEditorFile) result["exportedFrom"] = storedType;
            return Answer(request, result, 200);
        }
    }

    private static HttpResponseMessage TooLarge(HttpRequestMessage request, JsonObject result, long size)
    {
        result["size"] = size;
        return Refuse(request, result, $"The file is {size} bytes; this tool returns files up to {GoogleDriveDownloadFile.MaxBytes / 1024} KiB. Share its link instead.");
    }

    private static HttpResponseMessage Refuse(HttpRequestMessage request, JsonObject result, string reason)
    {
        result["refused"] = reason;
        return Answer(request, result, 200);
    }

    private static HttpResponseMessage Answer(HttpRequestMessage request, JsonObject body, int status) => new((System.Net.HttpStatusCode)status)
    {
        RequestMessage = request,
        Content = new StringContent(body.ToJsonString(Relaxed), Encoding.UTF8, "application/json"),
    };

    private static async Task<byte[]> ReadAtMostAsync(HttpContent content, int limit, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while (buffer.Length < limit && (read = await stream.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - buffer.Length)), ct)) > 0)
            buffer.Write(chunk, 0, read);
        return buffer.ToArray();
    }

    /// <summary>The bytes as text when the type says text and they decode cleanly; else null (returned as base64).</summary>
    private static string? AsText(byte[] bytes, string? charset, string mediaType)
    {
        var textual = mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+xml", StringComparison.OrdinalIgnoreCase)
            || mediaType is "application/json" or "application/xml" or "application/javascript" or "application/x-yaml" or "application/yaml"
                or "application/csv" or "application/x-sh" or "application/sql";
        if (!textual) return null;
        Encoding encoding;
        try { encoding = charset is null ? new UTF8Encoding(false, true) : Encoding.GetEncoding(charset.Trim('"'), EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback); }
        catch (ArgumentException) { encoding = new UTF8Encoding(false, true); }
        try { return encoding.GetString(bytes).TrimStart('\uFEFF'); }
        catch (DecoderFallbackException) { return null; }
    }
}

/// <summary>
/// Drive folder: a file with the folder MIME type (https://developers.google.com/workspace/drive/api/guides/folder#create).
/// </summary>
public sealed class GoogleDriveCreateFolder : CodedTool
{
    public override IEnumerable<string> Names => ["GOOGLEDRIVE_CREATE_FOLDER"];

    public override HttpRequestMessage Build(Toolkit toolkit, ToolDefinition tool, JsonObject parameters, StoredCredentials credentials, string apiBaseUrl)
    {
        var folder = new JsonObject
        {
            ["name"] = Text(parameters, "name") ?? throw new InvalidToolParameter("name", "Give the folder name."),
            ["mimeType"] = "application/vnd.google-apps.folder",
        };
        if (Text(parameters, "parentId") is { } parent) folder["parents"] = new JsonArray(parent);
        if (Text(parameters, "description") is { } description) folder["description"] = description;
        var request = Declarative(toolkit, tool, parameters, credentials, apiBaseUrl, folder);
        AddQuery(request, ("fields", "id,name,mimeType,parents,webViewLink,modifiedTime"), ("supportsAllDrives", "true"));
        return request;
    }
}
