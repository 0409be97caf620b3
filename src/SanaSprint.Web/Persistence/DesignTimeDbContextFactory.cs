using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SanaSprint.Web.Persistence;

/// <summary>
/// The context <c>dotnet ef migrations add</c> builds the model from (the app makes its contexts through
/// <see cref="SanaSprintDatabase"/>, which the tools do not know). The connection is never opened.
/// </summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<SanaSprintDbContext>
{
    /// <inheritdoc />
    public SanaSprintDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SanaSprintDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
