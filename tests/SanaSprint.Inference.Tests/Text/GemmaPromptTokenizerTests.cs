using System.Text.Json;
using SanaSprint.Inference.Text;

namespace SanaSprint.Inference.Tests.Text;

public sealed class GemmaPromptTokenizerTests
{
    private static readonly Lazy<GemmaPromptTokenizer> Shared = new(() => new GemmaPromptTokenizer(GemmaTokenizer.FromDirectory(TestPaths.GoldenCase("text", "tokenizer"))));
    private static readonly Lazy<JsonElement> Meta = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.GoldenCase("text", "prompt_encode"), "meta.json"))).RootElement);
    private static readonly Lazy<JsonElement> TokenizerExpected = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.GoldenCase("text", "tokenizer"), "expected.json"))).RootElement);

    private static GemmaPromptTokenizer Prompts => Shared.Value;

    private static long[] Flatten(JsonElement rows) => [.. rows.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => e.GetInt64()))];

    public static TheoryData<string> Tags() => ["chi", "nochi"];

    private static JsonElement Call(string tag) => Meta.Value.GetProperty("calls").EnumerateArray().Single(c => c.GetProperty("tag").GetString() == tag);

    // The prompt_encode reference recorded ids for the prompts as given (they keep "A busy …" upper-case) although its
    // embeddings come from the lower-cased prompts (see PromptEncoderTests); the ids are checked as recorded here, and
    // the layout case covers the pipeline's lower().strip() ids.
    private static PromptEncodingOptions OptionsOf(JsonElement call) => new()
    {
        LowerCase = false,
        UseComplexHumanInstruction = call.GetProperty("complex_human_instruction").ValueKind == JsonValueKind.Array,
        MaxSequenceLength = call.GetProperty("max_sequence_length").GetInt32(),
    };

    [Theory]
    [MemberData(nameof(Tags))]
    public void WindowIdsAndMaskMatchThePipeline(string tag)
    {
        var call = Call(tag);
        var prompts = Meta.Value.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        var tokens = Prompts.Tokenize(prompts, OptionsOf(call));
        Assert.Equal(call.GetProperty("max_length_all").GetInt32(), tokens.Tokens.SequenceLength);
        Assert.Equal(Flatten(call.GetProperty("tokenized_ids")), tokens.Tokens.InputIds);
        Assert.Equal(Flatten(call.GetProperty("tokenized_mask")), tokens.Tokens.AttentionMask);
    }

    [Theory]
    [MemberData(nameof(Tags))]
    public void SelectedIdsAndMaskMatchThePipeline(string tag)
    {
        var call = Call(tag);
        var prompts = Meta.Value.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        var tokens = Prompts.Tokenize(prompts, OptionsOf(call));
        int length = tokens.Tokens.SequenceLength;
        var expectedIndex = call.GetProperty("select_index").EnumerateArray().Select(e => e.GetInt32()).Select(i => i < 0 ? length + i : i);
        Assert.Equal(expectedIndex, tokens.SelectIndex);
        Assert.Equal(Flatten(call.GetProperty("selected_ids")), Enumerable.Range(0, prompts.Length).SelectMany(tokens.SelectedIds));
        Assert.Equal(Flatten(call.GetProperty("selected_mask")), Enumerable.Range(0, prompts.Length).SelectMany(tokens.SelectedMask));
    }

    [Fact]
    public void InstructionTextAndTokenCountMatchDiffusers()
    {
        var call = Call("chi");
        var lines = call.GetProperty("complex_human_instruction").EnumerateArray().Select(e => e.GetString()!);
        Assert.Equal(lines, ComplexHumanInstruction.For(PromptStyle.Diffusers));
        Assert.Equal(call.GetProperty("chi_token_count_with_bos").GetInt32(), Prompts.InstructionTokenCount(PromptStyle.Diffusers));
    }

    [Fact]
    public void InstructionBoundaryTokenizesJointly()
    {
        var instruction = ComplexHumanInstruction.Text(PromptStyle.Diffusers);
        foreach (var b in TokenizerExpected.Value.GetProperty("chi_boundary").EnumerateArray())
        {
            var prompt = b.GetProperty("prompt").GetString()!;
            Assert.Equal(b.GetProperty("chi_alone_ids").EnumerateArray().Select(e => e.GetInt32()), Prompts.Tokenizer.Encode(instruction));
            Assert.Equal(b.GetProperty("chi_plus_prompt_ids").EnumerateArray().Select(e => e.GetInt32()), Prompts.Tokenizer.Encode(instruction + prompt));
            Assert.Equal(b.GetProperty("chi_token_count_with_bos").GetInt32(), Prompts.InstructionTokenCount(PromptStyle.Diffusers));
        }
    }

    [Fact]
    public void DiffusersStyleLowerCasesAndStrips()
    {
        Assert.Equal("a busy city street", GemmaPromptTokenizer.Preprocess("  A Busy City STREET \n", lowerCase: true));
        Assert.Equal("x", GemmaPromptTokenizer.Preprocess("\u001f\u3000X\u00a0", lowerCase: true));
    }

    [Fact]
    public void NvLabsStyleKeepsCaseAndDoubleQuotes()
    {
        Assert.Equal("A Busy City STREET", GemmaPromptTokenizer.Preprocess("  A Busy City STREET \n", lowerCase: false));
        var nvlabs = ComplexHumanInstruction.For(PromptStyle.NvLabs);
        var diffusers = ComplexHumanInstruction.For(PromptStyle.Diffusers);
        Assert.Contains("\"Enhanced prompt\"", nvlabs[0]);
        Assert.Contains("'Enhanced prompt'", diffusers[0]);
        Assert.Equal(diffusers.Skip(1), nvlabs.Skip(1));
        Assert.EndsWith("User Prompt: ", nvlabs[^1]);
        Assert.True(new PromptEncodingOptions().LowerCasesPrompt);
        Assert.False(new PromptEncodingOptions { Style = PromptStyle.NvLabs }.LowerCasesPrompt);
        Assert.False(new PromptEncodingOptions { LowerCase = false }.LowerCasesPrompt);

        var upper = Prompts.Tokenize(["A Cat"], new PromptEncodingOptions { Style = PromptStyle.NvLabs, UseComplexHumanInstruction = false, MaxSequenceLength = 8 });
        var lower = Prompts.Tokenize(["A Cat"], new PromptEncodingOptions { UseComplexHumanInstruction = false, MaxSequenceLength = 8 });
        Assert.Equal(Prompts.Tokenizer.EncodeBatch(["A Cat"], 8).InputIds, upper.Tokens.InputIds);
        Assert.Equal(Prompts.Tokenizer.EncodeBatch(["a cat"], 8).InputIds, lower.Tokens.InputIds);
    }

    [Fact]
    public void WindowGrowsByTheInstructionLessTwo()
    {
        foreach (var style in new[] { PromptStyle.Diffusers, PromptStyle.NvLabs })
        {
            int chi = Prompts.Tokenizer.CountTokens(ComplexHumanInstruction.Text(style));
            Assert.Equal(chi + 300 - 2, Prompts.WindowLength(new PromptEncodingOptions { Style = style }));
            Assert.Equal(300, Prompts.WindowLength(new PromptEncodingOptions { Style = style, UseComplexHumanInstruction = false }));
        }
    }

    [Fact]
    public void SelectionIsBosPlusTheLastPositions()
    {
        Assert.Equal([0, 7, 8, 9], GemmaPromptTokenizer.SelectIndex(10, 4));
        Assert.Equal(Enumerable.Range(0, 6), GemmaPromptTokenizer.SelectIndex(6, 6));
        Assert.Equal([0], GemmaPromptTokenizer.SelectIndex(5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => GemmaPromptTokenizer.SelectIndex(3, 4));
    }

    [Fact]
    public void CountPromptTokensCountsThePreparedPromptAloneWithoutBos()
    {
        const string typed = "  A Busy City STREET \n";
        Assert.Equal(Prompts.Tokenizer.CountTokens("a busy city street", addBos: false), Prompts.CountPromptTokens(typed, PromptEncodingOptions.Default));
        Assert.Equal(Prompts.Tokenizer.CountTokens("A Busy City STREET", addBos: false), Prompts.CountPromptTokens(typed, new PromptEncodingOptions { Style = PromptStyle.NvLabs }));
        // The instruction and N do not change the count.
        Assert.Equal(Prompts.CountPromptTokens(typed, PromptEncodingOptions.Default),
            Prompts.CountPromptTokens(typed, new PromptEncodingOptions { UseComplexHumanInstruction = false, MaxSequenceLength = 5 }));
        Assert.Equal(0, Prompts.CountPromptTokens(" \n ", PromptEncodingOptions.Default));
        Assert.Throws<ArgumentNullException>(() => Prompts.CountPromptTokens(null!, PromptEncodingOptions.Default));
    }

    [Fact]
    public void PromptsCountedAtMostNMinusTwoTokensAreNeverTruncated()
    {
        // The web app's default RoomOptions.MaxPromptTokens (298 = 300 − 2) rests on this: whatever a prompt's first
        // token does at the instruction boundary, a prompt of ≤ N − 2 counted tokens fits the window and its last token
        // is among the selected positions.
        var options = new PromptEncodingOptions { MaxSequenceLength = 40 };
        int window = Prompts.WindowLength(options);
        var words = "Seven quiet boats, 3 red sails & one lighthouse under a violet sky at dawn".Split(' ');
        int checkedPrompts = 0;
        for (int n = 1; n <= words.Length; n++)
        {
            var prompt = string.Join(' ', words.Take(n));
            int count = Prompts.CountPromptTokens(prompt, options);
            if (count > options.MaxSequenceLength - 2) break;
            var joint = Prompts.Tokenizer.Encode(ComplexHumanInstruction.Text(options.Style) + GemmaPromptTokenizer.Preprocess(prompt, lowerCase: true));
            Assert.True(joint.Length <= window, $"'{prompt}' counts {count} tokens but needs {joint.Length} window positions of {window}.");
            var tokens = Prompts.Tokenize([prompt], options);
            var selected = tokens.SelectedIds(0);
            var mask = tokens.SelectedMask(0);
            int last = Array.LastIndexOf(mask, 1L);
            Assert.Equal(joint[^1], selected[last]);
            checkedPrompts++;
        }

        Assert.True(checkedPrompts >= 3, $"only {checkedPrompts} prefixes fit {options.MaxSequenceLength - 2} tokens");
    }

    [Fact]
    public void LongPromptsKeepEveryUserTokenWithTheInstruction()
    {
        // With the instruction, position L−N+1 is the instruction's last token, so up to N−2 prompt tokens survive.
        var options = new PromptEncodingOptions { MaxSequenceLength = 12 };
        var prompt = "a photo of an astronaut riding a horse on the moon";
        var alone = Prompts.Tokenizer.Encode(prompt.ToLowerInvariant(), addBos: false);
        Assert.True(alone.Length > 10);
        var tokens = Prompts.Tokenize([prompt], options);
        var selected = tokens.SelectedIds(0);
        Assert.Equal(Prompts.Tokenizer.BosId, selected[0]);
        Assert.All(tokens.SelectedMask(0), m => Assert.Equal(1L, m));
        Assert.Equal(alone.Skip(1).Take(10).Select(i => (long)i), selected.Skip(2));
    }
}

public sealed class GemmaPromptTokenizerLayoutTests
{
    private static string LayoutDirectory => TestPaths.GoldenCase("layout");

    [Fact]
    public void DefaultOptionsReproduceThePipelineRunFromPromptText()
    {
        var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(LayoutDirectory, "meta.json"))).RootElement;
        var folder = Path.Combine(LayoutDirectory, meta.GetProperty("pipeline_folder").GetString()!);
        var prompts = new GemmaPromptTokenizer(GemmaTokenizer.FromDirectory(Path.Combine(folder, "tokenizer")));
        Assert.Equal(meta.GetProperty("chi_token_count_with_bos").GetInt32(), prompts.InstructionTokenCount(PromptStyle.Diffusers));

        var texts = meta.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        var tokens = prompts.Tokenize(texts, PromptEncodingOptions.Default);
        Assert.Equal(meta.GetProperty("max_length_all").GetInt32(), tokens.Tokens.SequenceLength);
        for (int i = 0; i < texts.Length; i++)
        {
            var expected = meta.GetProperty("selected_valid_tokens").GetProperty($"p{i}").GetProperty("selected_ids_valid")
                .EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var mask = tokens.SelectedMask(i);
            Assert.Equal(expected.Length, mask.Count(m => m == 1));
            Assert.Equal(expected, tokens.SelectedIds(i).Where((_, j) => mask[j] == 1));
        }
    }
}
