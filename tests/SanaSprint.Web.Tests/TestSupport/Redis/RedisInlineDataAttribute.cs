using System.Reflection;
using Xunit.Sdk;

namespace SanaSprint.Tests.Shared;

/// <summary>
/// One theory row that needs <c>redis-server</c> (beside rows that do not): the row is skipped with the reason when
/// Redis is absent and not required, as <see cref="RedisFactAttribute"/> says; the other rows run either way.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class RedisInlineDataAttribute : DataAttribute
{
    private readonly object?[] _data;

    /// <summary>The row's arguments.</summary>
    /// <param name="data">The arguments.</param>
    public RedisInlineDataAttribute(params object?[] data)
    {
        _data = data;
        if (RedisServer.SkipReason is { } reason) Skip = reason;
    }

    /// <inheritdoc />
    public override IEnumerable<object?[]> GetData(MethodInfo testMethod) => [_data];
}
