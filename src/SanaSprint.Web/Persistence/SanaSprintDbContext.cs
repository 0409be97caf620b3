using Microsoft.EntityFrameworkCore;

namespace SanaSprint.Web.Persistence;

/// <summary>The app's SQLite database: rooms, strokes, each room's newest frame, user presets, kept results and room members.</summary>
/// <param name="options">Context options (the SQLite connection).</param>
public sealed class SanaSprintDbContext(DbContextOptions<SanaSprintDbContext> options) : DbContext(options)
{
    /// <summary>Rooms.</summary>
    public DbSet<RoomEntity> Rooms => Set<RoomEntity>();

    /// <summary>Strokes of all rooms.</summary>
    public DbSet<StrokeEntity> Strokes => Set<StrokeEntity>();

    /// <summary>Each room's newest frame.</summary>
    public DbSet<RoomFrameEntity> RoomFrames => Set<RoomFrameEntity>();

    /// <summary>User presets.</summary>
    public DbSet<PresetEntity> Presets => Set<PresetEntity>();

    /// <summary>Kept results.</summary>
    public DbSet<KeptResultEntity> KeptResults => Set<KeptResultEntity>();

    /// <summary>Which browsers joined which rooms.</summary>
    public DbSet<RoomMemberEntity> RoomMembers => Set<RoomMemberEntity>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<RoomEntity>(e =>
        {
            e.ToTable("rooms");
            e.HasKey(r => r.Id);
            e.Property(r => r.Id).HasMaxLength(22);
        });
        modelBuilder.Entity<StrokeEntity>(e =>
        {
            e.ToTable("strokes");
            e.HasKey(s => new { s.RoomId, s.Id });
            e.HasIndex(s => new { s.RoomId, s.Seq });
            e.HasOne<RoomEntity>().WithMany().HasForeignKey(s => s.RoomId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<RoomFrameEntity>(e =>
        {
            e.ToTable("room_frames");
            e.HasKey(f => f.RoomId);
            e.HasOne<RoomEntity>().WithOne().HasForeignKey<RoomFrameEntity>(f => f.RoomId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<PresetEntity>(e =>
        {
            e.ToTable("presets");
            e.HasKey(p => p.Id);
            e.HasIndex(p => p.CreatedAtMs);
        });
        modelBuilder.Entity<KeptResultEntity>(e =>
        {
            e.ToTable("kept_results");
            e.HasKey(k => k.Id);
            e.HasIndex(k => k.KeptAtMs);
            e.HasIndex(k => k.OwnerId);
            e.HasIndex(k => k.RoomId);
        });
        modelBuilder.Entity<RoomMemberEntity>(e =>
        {
            e.ToTable("room_members");
            e.HasKey(m => new { m.RoomId, m.OwnerId });
            e.HasIndex(m => m.OwnerId);
        });
    }
}
