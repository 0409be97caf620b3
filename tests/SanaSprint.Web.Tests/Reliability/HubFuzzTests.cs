using System.Collections.Concurrent;
using CsCheck;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using SanaSprint.Web.Hubs;
using SanaSprint.Web.Tests.TestSupport;

namespace SanaSprint.Web.Tests.Reliability;

/// <summary>The app with SQLite in a temp folder and no rate limit in the way (the fuzzer should reach the validation).</summary>
public sealed class FuzzFixture : PersistentHubFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Overrides =>
    [
        new("HubLimits:InvocationsPerSecond", "1000000"),
        new("HubLimits:InvocationBurst", "1000000"),
        new("RoomOptions:MaxParticipantsPerRoom", "4"),
    ];
}

public sealed class HubFuzzTests(FuzzFixture app) : IClassFixture<FuzzFixture>
{
    private const int Invocations = 10_000;
    private const int FuzzConnections = 6;

    [Fact]
    public async Task TenThousandMalformedCallsEachGetAnErrorAndNeverDisturbAnotherRoom()
    {
        // A well-behaved client alone in its room, with a stroke and a frame before the fuzzing starts.
        var goodRoom = app.Rooms.CreateRoom();
        await using var good = await app.ConnectAsync();
        await good.JoinAsync(goodRoom, "good");
        await good.Connection.InvokeAsync<long>("SetPrompt", "the good room");
        await good.DrawAsync("good-1", [new StrokePoint(100, 100, 0.5f), new StrokePoint(200, 200, 0.5f)]);
        var revision = await good.DrawAsync("good-2", [new StrokePoint(300, 100, 0.5f)]);
        await good.WaitForAsync<FrameMessage>(f => f.Revision == revision);

        // Fuzzers: each in a room of its own with an open stroke "mine" and an ended stroke "done"; one never joins.
        var fuzzers = new List<SketchClient>();
        for (var i = 0; i < FuzzConnections; i++)
        {
            var client = i % 3 == 2 ? await app.ConnectJsonWithNamedFloatsAsync() : await app.ConnectAsync();
            fuzzers.Add(client);
            if (i == FuzzConnections - 1) break; // stays outside every room
            await client.JoinAsync(app.Rooms.CreateRoom(), $"fuzz {i}");
            await client.Connection.InvokeAsync<long>("BeginStroke", "done", "#000000", 2f);
            await client.Connection.InvokeAsync<long>("EndStroke", "done");
            await client.Connection.InvokeAsync<long>("BeginStroke", "mine", "#000000", 2f);
        }
        var closed = new ConcurrentQueue<string>();
        var lastCall = new ConcurrentDictionary<int, string>();
        for (var i = 0; i < fuzzers.Count; i++)
        {
            var index = i;
            fuzzers[i].Connection.Closed += ex =>
            {
                closed.Enqueue($"connection {index} closed after {lastCall.GetValueOrDefault(index)}: {ex?.Message}");
                return Task.CompletedTask;
            };
        }
        var eventsBefore = (good.All<StrokeBegunMessage>().Count, good.All<PointsAppendedMessage>().Count, good.All<PresenceMessage>().Count);

        // The good client keeps drawing while the fuzzers run.
        using var stop = new CancellationTokenSource();
        var goodStrokes = new List<string> { "good-1", "good-2" };
        var drawing = Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var id = $"good-live-{n}";
                await good.DrawAsync(id, [new StrokePoint(n % 1000, 500, 0.5f)]);
                lock (goodStrokes) goodStrokes.Add(id);
                await Task.Delay(50);
            }
        });

        var unexpected = new ConcurrentQueue<string>();
        var calls = 0;
        var gen = Gen.Select(Gen.Int[0, FuzzConnections - 1], BadCall(goodRoom));
        await Check.SampleAsync(gen, async sample =>
        {
            var (index, call) = sample;
            var client = fuzzers[index];
            Interlocked.Increment(ref calls);
            lastCall[index] = call.ToString();
            if (!closed.IsEmpty) throw new InvalidOperationException(string.Join("; ", closed));
            try
            {
                await client.Connection.InvokeCoreAsync<object>(call.Method, call.Args);
                unexpected.Enqueue($"{call} succeeded on connection {index}: {System.Text.Json.JsonSerializer.Serialize(call.Args, new System.Text.Json.JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals })[..Math.Min(300, System.Text.Json.JsonSerializer.Serialize(call.Args, new System.Text.Json.JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }).Length)]}");
            }
            catch (HubException)
            {
                // Every bad call fails its invocation.
            }
        }, iter: Invocations, threads: FuzzConnections * 2, print: s => s.Item2.ToString());
        await stop.CancelAsync();
        await drawing;

        Assert.True(calls >= Invocations, $"only {calls} calls were made");
        Assert.True(unexpected.IsEmpty, string.Join("\n", unexpected.Take(5)));
        // The server is alive: every fuzz connection is still connected and the health check answers.
        Assert.All(fuzzers, f => Assert.Equal(HubConnectionState.Connected, f.Connection.State));
        Assert.Equal("Healthy", await app.CreateClient().GetStringAsync("/healthz"));
        // Bad calls that reached a hub method got an Error event too (binding failures get only the failed invocation).
        Assert.True(fuzzers.Sum(f => f.All<ErrorMessage>().Count) > Invocations / 4);

        // The good client saw nothing of the fuzzing: no errors, no foreign strokes or presence, frames of its room only.
        Assert.Empty(good.All<ErrorMessage>());
        Assert.Equal(eventsBefore, (good.All<StrokeBegunMessage>().Count, good.All<PointsAppendedMessage>().Count, good.All<PresenceMessage>().Count));
        var finalRevision = app.Rooms.GetSnapshot(goodRoom, good.Snapshot!.Model).Revision;
        await good.WaitForAsync<FrameMessage>(f => f.Revision == finalRevision, TimeSpan.FromSeconds(15));
        Assert.All(good.All<FrameMessage>(), f => Assert.Equal("the good room", f.Prompt));
        Assert.All(good.All<FrameMessage>(), f => Assert.InRange(f.Revision, 1, finalRevision));
        var snapshot = app.Rooms.GetSnapshot(goodRoom, good.Snapshot!.Model);
        lock (goodStrokes) Assert.Equal(goodStrokes, snapshot.Strokes.Select(s => s.Id));
        Assert.All(snapshot.Strokes, s => Assert.Equal(good.Snapshot!.ParticipantId, s.OwnerId));
        Assert.Equal("the good room", snapshot.Prompt);

        foreach (var f in fuzzers) await f.DisposeAsync();
    }

    /// <summary>A hub call that is wrong by construction.</summary>
    public sealed record Call(string Method, object?[] Args)
    {
        public override string ToString() =>
            $"{Method}({string.Join(", ", Args.Select(a => a switch { null => "null", string s => s.Length > 40 ? $"\"{s[..40]}…\"({s.Length})" : $"\"{s}\"", Array arr => $"[{arr.Length} items]", _ => a.ToString() }))})";
    }

    private static readonly Gen<object?> NullObject = Gen.Int[0, 0].Select(_ => (object?)null);
    private static readonly Gen<string?> NullString = Gen.Int[0, 0].Select(_ => (string?)null);

    private static readonly float[] BadFloats = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -1f, 1e9f, -0.001f - 1, float.MaxValue];

    private static Gen<Call> BadCall(string goodRoom)
    {
        var badFloat = Gen.OneOf(BadFloats);
        var okFloat = Gen.Float[0f, 1f];
        var junk = Gen.String[0, 30];
        var huge = Gen.Int[1_001, 20_000].Select(n => new string('x', n));
        var badStrokeId = Gen.OneOf<string>(Gen.OneOf("", "has space", "slash/../x", "emoji\U0001F600", new string('s', 65), "abc\n", "abc\r\n", "a\u0085", "abc\u202E", "\u2066abc"), huge);
        var unknownStrokeId = Gen.Int.Select(n => $"unknown-{n & int.MaxValue}");
        var foreignStrokeId = Gen.OneOf("good-1", "good-2"); // the good room's strokes: not in the caller's room
        var missingStroke = Gen.OneOf<string>(unknownStrokeId, foreignStrokeId);
        var wrongType = Gen.OneOf<object?>(Gen.Int.Select(i => (object?)i), Gen.Bool.Select(b => (object?)b), NullObject,
            Gen.Const<object?>(new[] { 1, 2, 3 }), Gen.Const<object?>(new Dictionary<string, object> { ["a"] = 1 }));
        var point = Gen.Select(okFloat, okFloat, okFloat, (x, y, p) => new[] { x * 1024, y * 1024, p });
        var badPoint = Gen.OneOf(
            Gen.Select(badFloat, okFloat, (x, y) => new[] { x, y * 1024, 0.5f }),
            Gen.Select(okFloat, badFloat, (x, y) => new[] { x * 1024, y, 0.5f }),
            Gen.Select(okFloat, badFloat, (x, p) => new[] { x * 1024, 10f, p }),
            Gen.Const(new[] { 1f, 2f }));
        var pointsWithABadOne = Gen.Select(point.Array[0, 20], badPoint, Gen.Int[0, 20], (ok, bad, at) =>
        {
            var list = ok.ToList();
            list.Insert(Math.Min(at, list.Count), bad);
            return (object?)list.ToArray();
        });
        var tooManyPoints = Gen.Int[513, 2000].Select(n => (object?)Enumerable.Repeat(new[] { 1f, 1f, 0.5f }, n).ToArray());
        var pointsInTheWrongShape = Gen.OneOf<object?>(
            Gen.Const<object?>(Array.Empty<float[]>()),
            Gen.Const<object?>(new[] { "a", "b" }),
            Gen.Const<object?>(new object[] { new object[] { "x", 1, 2 } }),
            Gen.Const<object?>("points"));
        var badName = Gen.OneOf<string?>(Gen.OneOf<string?>("", "   ", "<script>", "tab\tname", "a;b", "Bob\u202E", "Eve\u2066", "Bo\nb", "ne\u0085l", "lri\u2067x\u2069", "nul\u0000", "esc\u001bx"), NullString, Gen.Int[33, 5000].Select(n => (string?)new string('n', n)));
        var badRoomId = Gen.OneOf<string?>(junk.Select(s => (string?)s), Gen.Int.Select(n => (string?)$"AAAAAAAAAAAAAAAAAA{n & 0xFFF:x4}"[..22]), NullString,
            Gen.OneOf<string?>(goodRoom + "\n", goodRoom + "\r\n", goodRoom + "\u0085"));
        var badColour = Gen.OneOf<string?>(Gen.OneOf<string?>("red", "#12345", "#1234567", "#gggggg", "", "javascript:alert(1)", "#123456\n", "#123456\r", "#123456\u0085", "#123456\u202E"), NullString);
        var badWidth = Gen.OneOf(float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -3f, 0.49f, 128.5f, 1e30f);
        var badPrompt = Gen.OneOf<object?>(
            Gen.Int[1_001, 20_000].Select(n => (object?)new string('p', n)),
            Gen.Const<object?>("bell\u0007"), Gen.Const<object?>("esc\u001b[31m"), NullObject, Gen.Const<object?>(42),
            // C1 controls and the bidirectional embeddings, overrides and isolates.
            Gen.OneOf("next\u0085line", "csi\u009b31m", "apc\u009f", "\u202Eevil", "lre\u202A", "pdf\u202C", "isolate\u2066x\u2069", "fsi\u2068x",
                "nul\u0000", "cr only\r", "del\u007f").Select(p => (object?)p));
        var badSettings = Gen.OneOf<object?>(
            Gen.Int[5, 1000].Select(s => (object?)Settings(steps: s)),
            Gen.Int[-1000, 0].Select(s => (object?)Settings(steps: s)),
            badFloat.Select(f => (object?)Settings(strength: f)),
            badFloat.Select(f => (object?)Settings(controlScale: f)),
            Gen.Const<object?>(Settings(seed: -5)),
            Gen.Const<object?>(Settings(mode: "Telepathy")),
            Gen.Const<object?>(Settings(presetId: "Bad Preset!")),
            Gen.Const<object?>(Settings(presetId: "watercolour\n")),
            Gen.Const<object?>(Settings(presetId: "watercolour\u202E")),
            NullObject,
            Gen.Const<object?>("settings"));

        return Gen.OneOf(
            // JoinRoom: bad or unknown ids, the good room with a bad name, wrong types or arity.
            Gen.Select(badRoomId, junk, (r, n) => new Call("JoinRoom", [r, n.Length == 0 ? "ok name" : n])),
            badName.Select(n => new Call("JoinRoom", [goodRoom, n])),
            wrongType.Select(t => new Call("JoinRoom", [t, t])),
            Gen.Const(new Call("JoinRoom", [goodRoom])),
            // BeginStroke: bad id, colour or width; an id in use; wrong types.
            badStrokeId.Select(id => new Call("BeginStroke", [id, "#000000", 2f])),
            badColour.Select(c => new Call("BeginStroke", ["fresh", c, 2f])),
            badWidth.Select(w => new Call("BeginStroke", ["fresh", "#000000", w])),
            Gen.OneOf("mine", "done").Select(id => new Call("BeginStroke", [id, "#000000", 2f])),
            wrongType.Select(t => new Call("BeginStroke", [t, "#000000", "wide"])),
            // AppendPoints: bad points into the caller's open stroke; good points into missing, foreign or ended strokes.
            pointsWithABadOne.Select(p => new Call("AppendPoints", ["mine", p])),
            tooManyPoints.Select(p => new Call("AppendPoints", ["mine", p])),
            pointsInTheWrongShape.Select(p => new Call("AppendPoints", ["mine", p])),
            Gen.Select(missingStroke, point.Array[1, 10], (id, p) => new Call("AppendPoints", [id, p])),
            point.Array[1, 10].Select(p => new Call("AppendPoints", ["done", p])),
            badStrokeId.Select(id => new Call("AppendPoints", [id, new[] { new[] { 1f, 1f, 0.5f } }])),
            // EndStroke: missing, foreign, ended or malformed ids.
            missingStroke.Select(id => new Call("EndStroke", [id])),
            Gen.Const(new Call("EndStroke", ["done"])),
            badStrokeId.Select(id => new Call("EndStroke", [id])),
            wrongType.Select(t => new Call("EndStroke", [t, t])),
            // SetPrompt / SetSettings / Cursor.
            badPrompt.Select(p => new Call("SetPrompt", [p])),
            badSettings.Select(s => new Call("SetSettings", [s])),
            Gen.Select(badFloat, okFloat, (x, y) => new Call("Cursor", [x, y * 1024])),
            Gen.Select(okFloat, badFloat, (x, y) => new Call("Cursor", [x * 1024, y])),
            // Methods that do not exist, and calls the server never exposes.
            junk.Select(name => new Call("Nope" + name, [])),
            Gen.Const(new Call("OnDisconnectedAsync", [null])),
            Gen.Const(new Call("DescribeModel", [null])));
    }

    private static Dictionary<string, object?> Settings(int steps = 2, long seed = 1, float strength = 0.5f, float controlScale = 1f, string mode = "Img2Img", string? presetId = null) => new()
    {
        ["steps"] = steps,
        ["seed"] = seed,
        ["seedLocked"] = false,
        ["mode"] = mode,
        ["strength"] = strength,
        ["controlScale"] = controlScale,
        ["presetId"] = presetId,
    };
}
