using SanaSprint.Inference.Verification;

namespace SanaSprint.Inference.Tests.Verification;

public sealed class TensorComparerTests
{
    [Fact]
    public void AllCloseIsNumpysRuleAbsolutePlusRelativeToTheReference()
    {
        // |a − e| ≤ atol + rtol·|e|: with e = 100, rtol = atol = 1e-2 the bound is 1.01, measured on the reference only.
        Assert.True(TensorComparer.AllClose("t", [101.0f], [100f], 1e-2, 1e-2).Passed);
        Assert.False(TensorComparer.AllClose("t", [101.02f], [100f], 1e-2, 1e-2).Passed);
        Assert.False(TensorComparer.AllClose("t", [100f], [101.02f - 2.04f], 0, 1e-2).Passed);
        Assert.True(TensorComparer.AllClose("t", [1e-5f], [0f]).Passed);
    }

    [Fact]
    public void NaNLengthMismatchAndEmptyTensorsFail()
    {
        Assert.False(TensorComparer.AllClose("t", [float.NaN], [float.NaN]).Passed);
        var mismatch = TensorComparer.AllClose("t", [1f, 2f], [1f]);
        Assert.False(mismatch.Passed);
        Assert.Contains("2 values, expected 1", mismatch.Name, StringComparison.Ordinal);
        Assert.False(TensorComparer.AllClose("t", [], []).Passed);
    }

    [Fact]
    public void AComparisonReportsItsErrorsAndCarriesBothTensors()
    {
        var c = TensorComparer.AllClose("out.sample", [1f, 2.5f], [1f, 2f], 0, 1);
        Assert.True(c.Passed);
        Assert.Equal(0.5, c.MaxAbsError, 6);
        Assert.Equal(0.25, c.MaxRelError, 6);
        Assert.Equal([1f, 2.5f], c.Actual!);
        Assert.Equal([1f, 2f], c.Expected!);
    }

    [Fact]
    public void RelativeRmsWithinHoldsTheWholeTensorToOneBound()
    {
        float[] e = [3f, 4f];
        Assert.Equal(0.1, TensorComparer.RelativeRms([3.3f, 4.4f], e), 5);
        Assert.True(TensorComparer.RelativeRmsWithin("t", [3.3f, 4.4f], e, 0.11).Passed);
        Assert.False(TensorComparer.RelativeRmsWithin("t", [3.3f, 4.4f], e, 0.09).Passed);
    }
}
