namespace SanaSprint.Tests.Shared;

/// <summary>A theory that needs <c>redis-server</c>, skipped or failed as <see cref="RedisFactAttribute"/> says.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when Redis is absent and not required.</summary>
    public RedisTheoryAttribute()
    {
        if (RedisServer.SkipReason is { } reason) Skip = reason;
    }
}
