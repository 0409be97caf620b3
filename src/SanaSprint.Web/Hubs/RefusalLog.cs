using System.Text;
using Microsoft.AspNetCore.SignalR;

namespace SanaSprint.Web.Hubs;

/// <summary>
/// How the sketch hub logs a refused call. A refusal (bad input, a limit, too many calls) is a normal outcome, not a
/// server fault: one structured line at Information, no stack trace, at most one line per connection per
/// <see cref="Interval"/> (the next line says how many were left out), and client text escaped so that control and
/// bidirectional characters cannot forge or reorder log lines.
/// </summary>
public static partial class RefusalLog
{
    /// <summary>At most one refusal line per connection in this time.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Longest client text kept in a line; the rest is cut with an ellipsis.</summary>
    public const int MaxReasonLength = 300;

    private const string StateKey = "sanasprint.refusals";

    /// <summary>Logs the refusal of <paramref name="method"/> on <paramref name="context"/>'s connection, unless its budget is spent.</summary>
    /// <param name="logger">Logger.</param>
    /// <param name="context">The caller's connection.</param>
    /// <param name="method">The hub method.</param>
    /// <param name="code">The error code sent to the caller.</param>
    /// <param name="reason">The reason sent to the caller (may hold client text).</param>
    /// <param name="time">The clock (tests pass a fake one).</param>
    public static void Refused(ILogger logger, HubCallerContext context, string method, string code, string reason, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(context);
        if (!logger.IsEnabled(LogLevel.Information)) return;
        var state = (State)(context.Items.TryGetValue(StateKey, out var item) && item is State s ? s : context.Items[StateKey] = new State());
        time ??= TimeProvider.System;
        long now = time.GetTimestamp();
        int skipped;
        lock (state)
        {
            if (state.Logged && time.GetElapsedTime(state.LastLogged, now) < Interval)
            {
                state.Skipped++;
                return;
            }

            state.Logged = true;
            state.LastLogged = now;
            skipped = state.Skipped;
            state.Skipped = 0;
        }

        Log.Refused(logger, Escape(method), code, Escape(reason), context.ConnectionId, skipped);
    }

    /// <summary>
    /// <paramref name="text"/> with every control character (Unicode category Cc), line or paragraph separator and
    /// bidirectional formatting character written as <c>\uXXXX</c>, cut at <see cref="MaxReasonLength"/> characters.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var source = text.Length > MaxReasonLength ? text[..MaxReasonLength] : text;
        var sb = new StringBuilder(source.Length + 8);
        foreach (var c in source)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u200E' and <= '\u200F') or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'))
                sb.Append("\\u").Append(((int)c).ToString("X4", System.Globalization.CultureInfo.InvariantCulture));
            else
                sb.Append(c);
        }

        if (text.Length > MaxReasonLength) sb.Append('…');
        return sb.ToString();
    }

    private sealed class State
    {
        public bool Logged;
        public long LastLogged;
        public int Skipped;
    }

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Information, "Refused '{HubMethod}' from '{ConnectionId}' ({Code}): {Reason} [{Skipped} more refusals left out]",
            EventName = "HubCallRefused")]
        public static partial void Refused(ILogger logger, string hubMethod, string code, string reason, string connectionId, int skipped);
    }
}
