namespace SanaSprint.Web.Cluster;

/// <summary>A write of a room activation that a newer activation of the same room has superseded; the activation must end.</summary>
public sealed class RoomFencedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RoomFencedException() : base("A newer activation of this room exists; this one's writes are refused.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was refused.</param>
    public RoomFencedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What was refused.</param>
    /// <param name="innerException">The cause.</param>
    public RoomFencedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a room's stale epoch.</summary>
    /// <param name="roomId">The room.</param>
    /// <param name="epoch">This activation's epoch.</param>
    /// <param name="current">The stored (newer) epoch.</param>
    public RoomFencedException(string roomId, long epoch, long current)
        : base($"Room {roomId}: this activation holds epoch {epoch}, but epoch {current} is newer; its writes are refused.") { }
}
