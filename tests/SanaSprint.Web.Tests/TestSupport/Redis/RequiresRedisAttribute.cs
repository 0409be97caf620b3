namespace SanaSprint.Tests.Shared;

/// <summary>
/// Marks a test class whose every test needs <c>redis-server</c> (a Redis subclass of a contract suite): its
/// <c>[ContractFact]</c> tests are skipped with <see cref="RedisServer.SkipReason"/> where Redis is absent and not required.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresRedisAttribute : Attribute;
