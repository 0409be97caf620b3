using SanaSprint.Inference.Tests.TestSupport;
using SanaSprint.Inference.Text;
using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Text;

public sealed class PromptEncoderTests
{
    private static readonly Lazy<GemmaPromptTokenizer> Tokenizer = new(() => new GemmaPromptTokenizer(GemmaTokenizer.FromDirectory(TestPaths.GoldenCase("text", "tokenizer"))));

    private static readonly PromptEncodingOptions Short = new() { MaxSequenceLength = 8 };

    /// <summary>Deterministic fake: output[b, t, c] = id·10 + c + t/100; counts calls; signals its first call; can block
    /// until released.</summary>
    private sealed class FakeEncoder : ITextEncoder
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public int HiddenSize => 3;

        public int Calls => _calls;

        /// <summary>Completes when an encoder run has started (before it waits at <see cref="Gate"/>).</summary>
        public Task Entered => _entered.Task;

        public ManualResetEventSlim? Gate { get; init; }

        public Exception? Failure { get; set; }

        public float[] Encode(TokenizedBatch tokens)
        {
            Interlocked.Increment(ref _calls);
            _entered.TrySetResult();
            Gate?.Wait(TimeSpan.FromSeconds(10));
            if (Failure is not null) throw Failure;
            var result = new float[tokens.InputIds.Length * HiddenSize];
            for (int i = 0; i < tokens.InputIds.Length; i++)
                for (int c = 0; c < HiddenSize; c++)
                    result[i * HiddenSize + c] = tokens.InputIds[i] * 10 + c + i % tokens.SequenceLength / 100f;
            return result;
        }
    }

    [Fact]
    public async Task ASecondRequestIsACacheHitWithTheSameEncoding()
    {
        var fake = new FakeEncoder();
        using var service = new PromptEncoder(Tokenizer.Value, fake, defaultOptions: Short);
        var first = await service.EncodeAsync("a cat");
        var second = await service.EncodeAsync("a cat");
        Assert.Equal(PromptEncodingSource.Encoded, first.Source);
        Assert.Equal(PromptEncodingSource.Cache, second.Source);
        Assert.True(second.CacheHit);
        Assert.Equal(1, fake.Calls);
        Assert.Same(first.Encoding, second.Encoding);
        Assert.Equal(1, service.Hits);
        Assert.Equal(1, service.Misses);
        // The hit reports the time recorded when the encoding was computed, not a new measurement.
        Assert.Equal(first.Encoding.EncodeTime, second.Encoding.EncodeTime);
    }

    [Fact]
    public async Task OptionsArePartOfTheKey()
    {
        var fake = new FakeEncoder();
        using var service = new PromptEncoder(Tokenizer.Value, fake, defaultOptions: Short);
        await service.EncodeAsync("A Cat");
        var other = await service.EncodeAsync("A Cat", Short with { Style = PromptStyle.NvLabs });
        var again = await service.EncodeAsync("A Cat", Short with { });
        Assert.Equal(PromptEncodingSource.Encoded, other.Source);
        Assert.Equal(PromptEncodingSource.Cache, again.Source);
        Assert.Equal(2, fake.Calls);
    }

    [Fact]
    public async Task SelectionTakesBosAndTheLastPositions()
    {
        var fake = new FakeEncoder();
        using var service = new PromptEncoder(Tokenizer.Value, fake);
        var options = new PromptEncodingOptions { MaxSequenceLength = 6 };
        var result = await service.EncodeAsync("a photo of an astronaut riding a horse", options);
        var tokens = Tokenizer.Value.Tokenize(["a photo of an astronaut riding a horse"], options);
        Assert.Equal(6, result.Encoding.SequenceLength);
        Assert.Equal(tokens.SelectedIds(0), result.Encoding.InputIds);
        Assert.Equal(tokens.SelectedMask(0), result.Encoding.Mask);
        for (int k = 0; k < 6; k++)
        {
            int position = tokens.SelectIndex[k];
            Assert.Equal(tokens.Tokens.InputIds[position] * 10 + 2 + position / 100f, result.Encoding.Embeddings[k * 3 + 2]);
        }
    }

    [Fact]
    public async Task TheLeastRecentlyUsedEncodingIsEvicted()
    {
        var fake = new FakeEncoder();
        using var service = new PromptEncoder(Tokenizer.Value, fake, capacity: 2, defaultOptions: Short);
        await service.EncodeAsync("a");
        await service.EncodeAsync("b");
        await service.EncodeAsync("a"); // a is now the most recent
        await service.EncodeAsync("c"); // evicts b
        Assert.Equal(2, service.Count);
        Assert.Equal(PromptEncodingSource.Cache, (await service.EncodeAsync("a")).Source);
        Assert.Equal(PromptEncodingSource.Encoded, (await service.EncodeAsync("b")).Source);
        Assert.Equal(4, fake.Calls);
    }

    [Fact]
    public async Task ConcurrentIdenticalMissesShareOneEncoding()
    {
        using var gate = new ManualResetEventSlim(false);
        var fake = new FakeEncoder { Gate = gate };
        using var service = new PromptEncoder(Tokenizer.Value, fake, defaultOptions: Short);
        var tasks = Enumerable.Range(0, 6).Select(_ => service.EncodeAsync("a red bus")).ToArray();
        // Barrier instead of a pause: each call joins (or starts) the in-flight run before EncodeAsync returns, and the
        // one run is now held at the gate, so no caller can have an encoding yet.
        await fake.Entered.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(tasks, t => Assert.False(t.IsCompleted));
        gate.Set();
        var results = await Task.WhenAll(tasks);
        Assert.Equal(1, fake.Calls);
        Assert.Single(results, r => r.Source == PromptEncodingSource.Encoded);
        Assert.Equal(5, results.Count(r => r.Source == PromptEncodingSource.Shared));
        Assert.All(results, r => Assert.Same(results[0].Encoding, r.Encoding));
    }

    [Fact]
    public async Task AWaiterCanStopWaitingWithoutCancellingTheSharedRun()
    {
        using var gate = new ManualResetEventSlim(false);
        var fake = new FakeEncoder { Gate = gate };
        using var service = new PromptEncoder(Tokenizer.Value, fake, defaultOptions: Short);
        using var cts = new CancellationTokenSource();
        var cancelled = service.EncodeAsync("a dog", cts.Token);
        var other = service.EncodeAsync("a dog");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        gate.Set();
        Assert.Equal(PromptEncodingSource.Shared, (await other).Source);
        Assert.Equal(PromptEncodingSource.Cache, (await service.EncodeAsync("a dog")).Source);
        Assert.Equal(1, fake.Calls);
    }

    [Fact]
    public void ABatchServesHitsAndEncodesEachDistinctMissOnce()
    {
        var fake = new FakeEncoder();
        using var service = new PromptEncoder(Tokenizer.Value, fake, defaultOptions: Short);
        service.Encode(["cached"]);
        var results = service.Encode(["x", "cached", "y", "x"]);
        Assert.Equal(2, fake.Calls); // one for "cached", one batch for x and y
        Assert.Equal([PromptEncodingSource.Encoded, PromptEncodingSource.Cache, PromptEncodingSource.Encoded, PromptEncodingSource.Encoded], results.Select(r => r.Source));
        Assert.Same(results[0].Encoding, results[3].Encoding);
        Assert.NotEqual(results[0].Encoding.InputIds, results[2].Encoding.InputIds);
    }

    [Fact]
    public async Task AFailedEncodingReachesEveryWaiterAndIsNotCached()
    {
        using var gate = new ManualResetEventSlim(false);
        var fake = new FakeEncoder { Gate = gate, Failure = new InvalidOperationException("encoder broke") };
        using var service = new PromptEncoder(Tokenizer.Value, fake, defaultOptions: Short);
        var a = service.EncodeAsync("boom");
        var b = service.EncodeAsync("boom");
        gate.Set();
        Assert.Equal("encoder broke", (await Assert.ThrowsAsync<InvalidOperationException>(() => a)).Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => b);
        fake.Failure = null;
        Assert.Equal(PromptEncodingSource.Encoded, (await service.EncodeAsync("boom")).Source);
        Assert.Equal(0, service.Hits);
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger<PromptEncoder>
    {
        public List<(Microsoft.Extensions.Logging.LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries) Entries.Add((logLevel, formatter(state, exception)));
        }
    }

    [Fact]
    public async Task MissesAreLoggedWithTheirTimeAndHitsAreNot()
    {
        var logger = new ListLogger();
        using var service = new PromptEncoder(Tokenizer.Value, new FakeEncoder(), defaultOptions: Short, logger: logger);
        await service.EncodeAsync("secret prompt");
        await service.EncodeAsync("secret prompt");
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, entry.Level);
        Assert.Contains(" ms ", entry.Message);
        Assert.DoesNotContain("secret", entry.Message);
    }

    [Fact]
    public void CapacityBelowOneIsRejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new PromptEncoder(Tokenizer.Value, new FakeEncoder(), capacity: 0));
        Assert.Equal("capacity", e.ParamName);
    }

    [Fact]
    public void PromptEncodeGoldenMatchesWithAndWithoutTheInstruction()
    {
        var verifier = new TextPromptGoldenVerifier();
        string dir = TestPaths.GoldenCase("text", "prompt_encode");
        Assert.True(verifier.CanVerify(dir));
        var report = verifier.Verify(dir);
        foreach (var tag in new[] { "chi", "nochi" })
        {
            foreach (var attn in new[] { "eager", "sdpa" })
            {
                Assert.Contains(report.Comparisons, c => c.Name == $"out.prompt_embeds.{attn}.{tag}[real tokens]");
                Assert.Contains(report.Comparisons, c => c.Name == $"out.prompt_attention_mask.{tag} ({attn})");
            }
        }

        Assert.Contains(report.Comparisons, c => c.Name == $"selected_ids.chi (prompts as given)");
        Assert.All(report.Comparisons, c => Assert.True(c.Passed, $"{c.Name}: max |Δ| {c.MaxAbsError:E3}"));
        TensorAssert.Holds(report);
    }

    [Fact]
    public void ThePipelineFolderEncodesPromptTextLikeTheReference()
    {
        // The official layout: tokenizer.model only, Gemma-2 in bf16 over two shards, default instruction, N = 300, lower().strip().
        string layout = TestPaths.GoldenCase("layout");
        using var golden = SanaSprint.Inference.Verification.GoldenCase.Open(layout);
        string folder = Path.Combine(layout, golden.Meta!.RootElement.GetProperty("pipeline_folder").GetString()!);
        using var temp = new TempFolder();
        using var service = PromptEncoder.FromPipelineFolder(folder, Gemma2ModelTests.CpuSessions, temp.Path);
        var prompts = golden.Meta.RootElement.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        Assert.Contains(prompts, p => p != p.Trim().ToLowerInvariant());
        var results = service.Encode(prompts);
        for (int i = 0; i < prompts.Length; i++)
        {
            var mask = golden.Read($"out.p{i}.prompt_attention_mask").AsLongs();
            Assert.Equal(mask, results[i].Encoding.Mask);
            Assert.Equal(300, results[i].Encoding.SequenceLength);
            var comparisons = TextGoldenCases.CompareRealTokens($"out.p{i}.prompt_embeds", results[i].Encoding.Embeddings,
                golden.Read($"out.p{i}.prompt_embeds").AsFloats(), mask, service.HiddenSize).ToList();
            Assert.All(comparisons, c => Assert.True(c.Passed, $"{c.Name}: max |Δ| {c.MaxAbsError:E3}"));
            TensorAssert.Holds(new GoldenReport(folder, "prompt", comparisons));
        }
    }

    [Fact]
    public void PromptEncodeEmbeddingsFollowTheLowerCasedPrompt()
    {
        // The reference's embeddings for "A busy city street …" match "a busy city street …" only: the pipeline lower-cases.
        var tokenizer = Tokenizer.Value;
        var options = new PromptEncodingOptions { MaxSequenceLength = 16, UseComplexHumanInstruction = false };
        const string prompt = "A busy city street";
        Assert.NotEqual(tokenizer.Tokenize([prompt], options with { LowerCase = false }).Tokens.InputIds, tokenizer.Tokenize([prompt], options).Tokens.InputIds);
        Assert.Equal(tokenizer.Tokenize([prompt.ToLowerInvariant()], options with { LowerCase = false }).Tokens.InputIds, tokenizer.Tokenize([prompt], options).Tokens.InputIds);
    }
}
