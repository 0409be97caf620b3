namespace SanaSprint.Web.Rooms;

/// <summary>A member of a room. Its state is its type: <see cref="JoiningParticipant"/>, <see cref="PresentParticipant"/>, <see cref="LeftParticipant"/>.</summary>
/// <param name="Id">Server-assigned id, unique in the room for its lifetime (never reused).</param>
/// <param name="DisplayName">Name shown to others.</param>
/// <param name="Colour">Presence colour "#rrggbb".</param>
[GenerateSerializer, Immutable]
public abstract record Participant(string Id, string DisplayName, string Colour)
{
    /// <summary>"Joining", "Present" or "Left", as sent on the wire.</summary>
    public abstract string State { get; }

    /// <summary>True while the participant holds a place in the room (joining or present).</summary>
    public bool HoldsPlace => this is not LeftParticipant;
}

/// <summary>Admitted to a room, waiting for its snapshot (holds a place, not yet announced to others).</summary>
/// <param name="Id">Participant id.</param>
/// <param name="DisplayName">Name.</param>
/// <param name="Colour">Colour.</param>
/// <param name="RoomId">The room being joined.</param>
/// <param name="SessionId">The connection (or circuit) it belongs to.</param>
[GenerateSerializer, Immutable]
public sealed record JoiningParticipant(string Id, string DisplayName, string Colour, string RoomId, string SessionId)
    : Participant(Id, DisplayName, Colour)
{
    /// <inheritdoc />
    public override string State => "Joining";
}

/// <summary>In the room: receives events, may draw.</summary>
/// <param name="Id">Participant id.</param>
/// <param name="DisplayName">Name.</param>
/// <param name="Colour">Colour.</param>
/// <param name="SessionId">The connection (or circuit) it belongs to.</param>
/// <param name="JoinedAt">When the snapshot was handed over.</param>
[GenerateSerializer, Immutable]
public sealed record PresentParticipant(string Id, string DisplayName, string Colour, string SessionId, DateTimeOffset JoinedAt)
    : Participant(Id, DisplayName, Colour)
{
    /// <inheritdoc />
    public override string State => "Present";
}

/// <summary>Gone; kept so its strokes still name their owner.</summary>
/// <param name="Id">Participant id.</param>
/// <param name="DisplayName">Name.</param>
/// <param name="Colour">Colour.</param>
/// <param name="LeftAt">When the connection closed or the participant left.</param>
[GenerateSerializer, Immutable]
public sealed record LeftParticipant(string Id, string DisplayName, string Colour, DateTimeOffset LeftAt)
    : Participant(Id, DisplayName, Colour)
{
    /// <inheritdoc />
    public override string State => "Left";
}
