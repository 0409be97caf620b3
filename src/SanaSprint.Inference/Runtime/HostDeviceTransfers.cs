using System.Collections.Concurrent;

namespace SanaSprint.Inference.Runtime;

/// <summary>
/// Counts the bytes the binding runners of a set of sessions move between host and device: a host tensor written into a
/// staging buffer and bound (host → device) and a bound output read back into host memory (device → host). Values that
/// stay on the device (an output bound to a device buffer that another session then binds as an input) count nothing.
/// On the CPU provider the runners count the same calls against CPU memory standing in for the device, which is how the
/// transfers of a frame are measured without a GPU.
/// </summary>
public sealed class HostDeviceTransfers
{
    private readonly ConcurrentDictionary<string, long> _toDevice = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _toHost = new(StringComparer.Ordinal);
    private long _hostToDevice;
    private long _deviceToHost;

    /// <summary>Bytes copied host → device since creation or the last <see cref="Reset"/>.</summary>
    public long HostToDevice => Interlocked.Read(ref _hostToDevice);

    /// <summary>Bytes copied device → host since creation or the last <see cref="Reset"/>.</summary>
    public long DeviceToHost => Interlocked.Read(ref _deviceToHost);

    /// <summary>Host → device bytes per <c>component/tensor</c> (e.g. <c>transformer/hidden_states</c>).</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyDictionary<string, long> HostToDeviceByTensor() => new Dictionary<string, long>(_toDevice, StringComparer.Ordinal);

    /// <summary>Device → host bytes per <c>component/tensor</c> (e.g. <c>vae_decoder/sample</c>).</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyDictionary<string, long> DeviceToHostByTensor() => new Dictionary<string, long>(_toHost, StringComparer.Ordinal);

    /// <summary>Sets every count to zero (e.g. before a frame).</summary>
    public void Reset()
    {
        _toDevice.Clear();
        _toHost.Clear();
        Interlocked.Exchange(ref _hostToDevice, 0);
        Interlocked.Exchange(ref _deviceToHost, 0);
    }

    internal void AddHostToDevice(string component, string tensor, long bytes)
    {
        Interlocked.Add(ref _hostToDevice, bytes);
        _toDevice.AddOrUpdate($"{component}/{tensor}", bytes, (_, v) => v + bytes);
    }

    internal void AddDeviceToHost(string component, string tensor, long bytes)
    {
        Interlocked.Add(ref _deviceToHost, bytes);
        _toHost.AddOrUpdate($"{component}/{tensor}", bytes, (_, v) => v + bytes);
    }
}
