namespace SanaSprint.Web.Cluster;

/// <summary>A join as a web node hands it to the room grain.</summary>
/// <param name="SessionId">The joining connection (or circuit).</param>
/// <param name="DisplayName">The joiner's name.</param>
/// <param name="RejoinParticipantId">With <paramref name="RejoinToken"/>: the earlier participant a rejoin names.</param>
/// <param name="RejoinToken">The rejoin token.</param>
/// <param name="ClientAddress">The client's network address, for <c>RoomOptions.MaxParticipantsPerAddress</c> (null: not checked).</param>
/// <param name="Watching">True when the joiner came by the watch-only address.</param>
/// <param name="Node">The web silo the session is on (its participant is marked Left when that silo dies).</param>
[GenerateSerializer, Immutable]
public sealed record RoomJoinRequest(string SessionId, string? DisplayName, string? RejoinParticipantId, string? RejoinToken,
    string? ClientAddress, bool Watching, SiloAddress? Node);
