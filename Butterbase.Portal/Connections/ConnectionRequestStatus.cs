namespace Butterbase.Portal.Connections;

/// <summary>
/// Where a connect attempt (<see cref="ConnectionRequest"/>) stands: `initiated` until the callback claims it
/// (`consuming`, one callback at a time), then `connected` or `failed`; `expired` is what the API reports for one left too long.
/// </summary>
public static class ConnectionRequestStatus
{
    public const string Initiated = "initiated";
    public const string Consuming = "consuming";
    public const string Connected = "connected";
    public const string Failed = "failed";
    public const string Expired = "expired";
}
