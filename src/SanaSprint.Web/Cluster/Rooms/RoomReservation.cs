using SanaSprint.Web.Rooms;

namespace SanaSprint.Web.Cluster;

/// <summary>A held place in a room (<see cref="IRoomGrain.ReserveAsync"/>).</summary>
/// <param name="Joining">The participant, not yet announced.</param>
/// <param name="ReplacedSessionId">The session a rejoin took the participant from (it stops speaking for it), or null.</param>
[GenerateSerializer, Immutable]
public sealed record RoomReservation(JoiningParticipant Joining, string? ReplacedSessionId);
