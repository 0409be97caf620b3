using Xunit.Abstractions;
using Xunit.Sdk;

namespace SanaSprint.Web.Tests.Cluster;

/// <summary>
/// A fact of an abstract contract suite, run once per concrete subclass. For a subclass marked
/// <see cref="RequiresRedisAttribute"/> it is skipped with the reason where <c>redis-server</c> is absent and not required
/// (<see cref="RedisServer.SkipReason"/>); otherwise it is a plain fact.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("SanaSprint.Web.Tests.Cluster.ContractFactDiscoverer", "SanaSprint.Web.Tests")]
public sealed class ContractFactAttribute : FactAttribute;

/// <summary>Discovers <see cref="ContractFactAttribute"/> tests: skipped per class as it says, else as facts.</summary>
/// <param name="diagnosticMessageSink">xunit's diagnostics.</param>
public sealed class ContractFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    private readonly FactDiscoverer _fact = new(diagnosticMessageSink);

    /// <inheritdoc />
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var type = (testMethod.TestClass.Class as IReflectionTypeInfo)?.Type;
        if (type is not null && type.IsDefined(typeof(RequiresRedisAttribute), inherit: true) && RedisServer.SkipReason is { } reason)
        {
            return [new XunitSkippedDataRowTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
                discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)];
        }
        return _fact.Discover(discoveryOptions, testMethod, factAttribute);
    }
}
