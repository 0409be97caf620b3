using System.Collections.Concurrent;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Hubs;

/// <summary>A refused call is a normal outcome: one escaped Information line, a bounded number per connection.</summary>
[Collection(SketchHubCollection.Name)]
public sealed class RefusalLogTests(SketchHubFixture app)
{
    [Fact]
    public async Task AFloodOfRefusedCallsLogsOneEscapedLinePerConnectionPerIntervalAndNoErrors()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var records = new ConcurrentQueue<(LogLevel Level, string Category, EventId Id, string Text, bool HasException)>();
        await using var factory = app.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.RemoveAll<TimeProvider>();
            s.AddSingleton<TimeProvider>(clock);
            s.AddSingleton<ILoggerProvider>(new CapturingProvider(records));
        }));
        var roomId = await factory.Services.GetRequiredService<SanaSprint.Web.Rooms.IRoomDirectory>().CreateRoomAsync();
        var builder = TestHubConnection.For(factory.Server).AddMessagePackProtocol();
        await using var client = new SketchClient(builder.Build());
        await client.Connection.StartAsync();
        await client.JoinAsync(roomId, "mallory");

        // 50 refusals carrying an escape sequence and a right-to-left override, all at one instant of the fake clock.
        for (var i = 0; i < 50; i++)
            await Assert.ThrowsAsync<HubException>(() => client.Connection.InvokeAsync<long>("BeginStroke", $"s{i}", "#12\u001b[31m\u202E", 2f));
        clock.Advance(RefusalLog.Interval);
        await Assert.ThrowsAsync<HubException>(() => client.Connection.InvokeAsync<long>("BeginStroke", "last", "red", 2f));
        // A call that succeeds after them: every refusal above has been handled (and logged or counted) by now.
        await client.Connection.InvokeAsync<long>("BeginStroke", "fine", "#000000", 2f);

        var refusals = records.Where(r => r.Id.Name == "HubCallRefused").ToList();
        Assert.Equal(2, refusals.Count);
        Assert.All(refusals, r => Assert.Equal(LogLevel.Information, r.Level));
        Assert.All(refusals, r => Assert.False(r.HasException));
        Assert.Contains("[0 more refusals left out]", refusals[0].Text, StringComparison.Ordinal);
        Assert.Contains("[49 more refusals left out]", refusals[1].Text, StringComparison.Ordinal);
        Assert.Contains("\\u001B[31m\\u202E", refusals[0].Text, StringComparison.Ordinal);
        Assert.DoesNotContain(refusals, r => r.Text.Contains('\u001b') || r.Text.Contains('\u202E'));
        Assert.DoesNotContain(records, r => r.Level >= LogLevel.Error);
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("line\nbreak\r", "line\\u000Abreak\\u000D")]
    [InlineData("c1\u0085 and \u2028", "c1\\u0085 and \\u2028")]
    [InlineData("\u2066isolated\u2069", "\\u2066isolated\\u2069")]
    public void EscapeWritesControlAndBidiCharactersAsCodes(string text, string expected) =>
        Assert.Equal(expected, RefusalLog.Escape(text));

    [Fact]
    public void EscapeCutsLongTextAtTheBound() =>
        Assert.Equal(RefusalLog.MaxReasonLength + 1, RefusalLog.Escape(new string('x', 5000)).Length);

    private sealed class CapturingProvider(ConcurrentQueue<(LogLevel, string, EventId, string, bool)> records) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, records);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(LogLevel, string, EventId, string, bool)> records) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) records.Enqueue((logLevel, category, eventId, formatter(state, exception), exception is not null));
            }
        }
    }
}
