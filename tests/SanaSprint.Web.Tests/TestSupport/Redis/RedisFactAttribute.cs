namespace SanaSprint.Tests.Shared;

/// <summary>
/// A fact that needs <c>redis-server</c>: skipped with the reason when it is absent, unless <c>SANASPRINT_REQUIRE_REDIS=1</c>
/// (as CI sets), when it runs and fails saying the binary is missing (<see cref="RedisServer.SkipReason"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when Redis is absent and not required.</summary>
    public RedisFactAttribute()
    {
        if (RedisServer.SkipReason is { } reason) Skip = reason;
    }
}
