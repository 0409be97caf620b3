using System.Reflection;

namespace SanaSprint.Web.Tests.TestSupport;

/// <summary>An interface implemented by a delegate.</summary>
/// <typeparam name="T">The interface.</typeparam>
public class Proxy<T> : DispatchProxy where T : class
{
    private Func<MethodInfo, object?[], object?> _handler = (m, _) => throw new NotSupportedException(m.Name);

    /// <summary>An instance of <typeparamref name="T"/> whose every call goes to <paramref name="handler"/>.</summary>
    public static T Create(Func<MethodInfo, object?[], object?> handler)
    {
        var proxy = DispatchProxy.Create<T, Proxy<T>>();
        ((Proxy<T>)(object)proxy)._handler = handler;
        return proxy;
    }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => _handler(targetMethod!, args ?? []);
}
