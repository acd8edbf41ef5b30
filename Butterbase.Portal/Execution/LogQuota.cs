using System.Threading.Channels;
using Butterbase.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Butterbase.Portal.Execution;

/// <summary>
/// Per-app bounds on the stored logs (`Butterbase:Executions:*`), so one app's flood cannot grow the database for the
/// retention period or push out another app's rows: each text column is cut to <see cref="MaxTextBytesPerRow"/>, and an
/// app over its row quota loses its own oldest rows first. An app's log is therefore at most rows × (fixed columns +
/// its capped text columns): with the defaults, ~800 MB of executions and ~160 MB of invocations in the worst case,
/// ~25 MB of executions at the measured 0.42 KB a row.
/// </summary>
public sealed class LogQuota
{
    public const string Section = "Butterbase:Executions";

    /// <summary>Days every log row (executions, invocations, idempotency records excepted) is kept.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 3650)] public int RetentionDays { get; set; } = 14;
    /// <summary>Executions kept per app; 0 or less: no quota (the retention period only).</summary>
    public int MaxRowsPerApp { get; set; } = 50_000;
    /// <summary>Function invocations kept per app; 0 or less: no quota.</summary>
    public int MaxInvocationRowsPerApp { get; set; } = 10_000;
    /// <summary>
    /// Refused executes (unknown tool, invalid parameters, no connection, …) logged per app per minute (a token bucket: this
    /// many at once, refilled over the minute); the rest are only counted (`butterbase.executions.refused_rows_dropped`).
    /// 0 or less: every refused call is logged.
    /// </summary>
    public int RefusedRowsPerMinute { get; set; } = 120;
    /// <summary>
    /// Refused rows kept per app, trimmed among themselves (oldest first) apart from <see cref="MaxRowsPerApp"/>, which
    /// counts runs only: refused calls never push out an app's real runs. 0 or less: no quota.
    /// </summary>
    public int MaxRefusedRowsPerApp { get; set; } = 5_000;
    /// <summary>UTF-8 bytes kept of each text column of a row (request, response, error, console output); 0 or less: no cap.</summary>
    public int MaxTextBytesPerRow { get; set; } = 8 * 1024;

    /// <summary>
    /// Rows an app may add between two checks of its count: a check reads the app's index up to its quota (≈8 ms for
    /// 50,000 rows on SQLite, a Debug build on a busy 2-core VM), so it runs once per tenth of the quota, not per batch:
    /// ≈0.002 ms a row, against ≈0.06 ms a row for the insert measured alongside. The quota holds within this slack
    /// (10 %) per instance. Deleting the rows over the quota costs what the age prune would have spent on them later.
    /// </summary>
    public static int Slack(int quota) => Math.Max(1, quota / 10);

    internal const string Marker = "… [truncated: the log keeps {0:N0} bytes of each field]";

    /// <summary>UTF-8 bytes as the log's text, cut like <see cref="Cap"/> without decoding what is cut.</summary>
    public static string CapUtf8(ReadOnlySpan<byte> utf8, int maxBytes)
    {
        if (maxBytes <= 0 || utf8.Length <= maxBytes) return System.Text.Encoding.UTF8.GetString(utf8);
        var end = maxBytes;
        while (end > 0 && (utf8[end] & 0xC0) == 0x80) end--; // never inside a character
        return System.Text.Encoding.UTF8.GetString(utf8[..end]) + string.Format(System.Globalization.CultureInfo.InvariantCulture, Marker, maxBytes);
    }

    /// <summary><paramref name="text"/> cut to <paramref name="maxBytes"/> UTF-8 bytes (plus a marker), never inside a character.</summary>
    public static string? Cap(string? text, int maxBytes)
    {
        if (text is null || maxBytes <= 0 || (long)text.Length * 3 <= maxBytes || System.Text.Encoding.UTF8.GetByteCount(text) <= maxBytes) return text;
        int bytes = 0, end = 0;
        while (end < text.Length)
        {
            var width = char.IsHighSurrogate(text[end]) && end + 1 < text.Length && char.IsLowSurrogate(text[end + 1]) ? 2 : 1;
            var size = width == 2 ? 4 : text[end] < 0x80 ? 1 : text[end] < 0x800 ? 2 : 3;
            if (bytes + size > maxBytes) break;
            bytes += size;
            end += width;
        }
        return text[..end] + string.Format(System.Globalization.CultureInfo.InvariantCulture, Marker, maxBytes);
    }
}
