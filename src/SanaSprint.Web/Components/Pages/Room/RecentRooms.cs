using System.Text.Json;

namespace SanaSprint.Web.Components.Pages.Room;

/// <summary>A room this browser opened lately (kept in localStorage).</summary>
/// <param name="Id">Room id.</param>
/// <param name="Prompt">The prompt when it was opened.</param>
/// <param name="At">When it was opened.</param>
public sealed record RecentRoom(string Id, string Prompt, DateTimeOffset At);

/// <summary>The recent-rooms list: newest first, one entry per room, bounded.</summary>
public static class RecentRooms
{
    /// <summary>localStorage key of the list.</summary>
    public const string StorageKey = "sanasprint.recentRooms";

    /// <summary>localStorage key of the display name this browser joins with.</summary>
    public const string DisplayNameKey = "sanasprint.displayName";

    /// <summary>Most rooms remembered.</summary>
    public const int MaxCount = 8;

    /// <summary>Reads the stored list; anything unreadable counts as empty.</summary>
    /// <param name="json">The stored JSON, or null.</param>
    /// <returns>The list, newest first.</returns>
    public static IReadOnlyList<RecentRoom> Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return [];
        try
        {
            return JsonSerializer.Deserialize<List<RecentRoom>>(json, JsonSerializerOptions.Web)?
                .Where(r => r is not null && Rooms.RoomEditor.IsRoomId(r.Id ?? ""))
                .Take(MaxCount).ToList() ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>Puts a room at the front (removing its older entry) and trims the list.</summary>
    public static IReadOnlyList<RecentRoom> Add(IReadOnlyList<RecentRoom> list, string id, string prompt, DateTimeOffset at) =>
        [new RecentRoom(id, prompt, at), .. list.Where(r => r.Id != id).Take(MaxCount - 1)];

    /// <summary>Writes the list for storage.</summary>
    public static string Serialize(IReadOnlyList<RecentRoom> list) => JsonSerializer.Serialize(list, JsonSerializerOptions.Web);
}
