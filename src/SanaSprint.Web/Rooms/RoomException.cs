namespace SanaSprint.Web.Rooms;

/// <summary>A request the room refused; the hub turns it into an <c>Error</c> for the caller only.</summary>
/// <param name="code">Stable reason (see <see cref="RoomErrorCodes"/>).</param>
/// <param name="message">A sentence naming the argument and the rule.</param>
[GenerateSerializer]
public sealed class RoomException(string code, string message) : Exception(message)
{
    /// <summary>Stable reason (see <see cref="RoomErrorCodes"/>).</summary>
    [Id(0)]
    public string Code { get; } = code;
}

/// <summary>The <see cref="RoomException.Code"/> values.</summary>
public static class RoomErrorCodes
{
    /// <summary>An argument broke a rule (format, range, finite).</summary>
    public const string InvalidArgument = "invalid-argument";
    /// <summary>The room or stroke does not exist.</summary>
    public const string NotFound = "not-found";
    /// <summary>The call needs <c>JoinRoom</c> first.</summary>
    public const string NotJoined = "not-joined";
    /// <summary>The room has no free place.</summary>
    public const string RoomFull = "room-full";
    /// <summary>A size or count limit was reached.</summary>
    public const string Limit = "limit";
    /// <summary>The stroke belongs to someone else.</summary>
    public const string Forbidden = "forbidden";
    /// <summary>The stroke id is taken or the stroke already ended.</summary>
    public const string Conflict = "conflict";
    /// <summary>The caller may not change the room: a watcher, or a drawer while the host has locked drawing.</summary>
    public const string ReadOnly = "read-only";
    /// <summary>Only the room's host may do this (lock, remove, hand over).</summary>
    public const string NotHost = "not-host";
    /// <summary>The room is locked and takes no newcomers.</summary>
    public const string Locked = "locked";
    /// <summary>The host removed this participant; it cannot rejoin as itself.</summary>
    public const string Removed = "removed";
    /// <summary>The room is moving to another server (a newer copy of it took over); the call changed nothing, try again.</summary>
    public const string Unavailable = "unavailable";
}
