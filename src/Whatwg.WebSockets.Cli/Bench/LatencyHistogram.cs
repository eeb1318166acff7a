namespace Whatwg.WebSockets.Cli.Bench;

/// <summary>
/// Latencies in microseconds, counted in log-linear buckets (as HdrHistogram does): values below 64 µs each have
/// their own bucket; above, every power of two is split into 32 equal buckets, so a percentile read back is
/// within about 3 % of the true value. Memory stays fixed however long the run. Min, max and the sum are exact.
/// Not thread-safe: one per connection, written from its event queue, merged at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBits = 5;
    private const int SubCount = 1 << SubBits;          // 32 buckets per power of two
    private const int Linear = 2 * SubCount;            // 0..63 µs: one bucket per µs
    private const int Powers = 64 - SubBits - 1;        // enough for any long

    private readonly long[] _counts = new long[Linear + (Powers * SubCount)];

    /// <summary>How many values were recorded.</summary>
    public long Count { get; private set; }

    /// <summary>The smallest value, in µs (0 when empty).</summary>
    public long Min { get; private set; }

    /// <summary>The largest value, in µs (0 when empty).</summary>
    public long Max { get; private set; }

    /// <summary>The sum of the values, in µs.</summary>
    public double Sum { get; private set; }

    /// <summary>The mean, in µs (0 when empty).</summary>
    public double Mean => Count == 0 ? 0 : Sum / Count;

    /// <summary>Counts one latency.</summary>
    public void Record(long microseconds)
    {
        long value = Math.Max(0, microseconds);
        _counts[IndexOf(value)]++;
        Min = Count == 0 ? value : Math.Min(Min, value);
        Max = Count == 0 ? value : Math.Max(Max, value);
        Count++;
        Sum += value;
    }

    /// <summary>Adds another histogram's counts to this one.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Count == 0)
        {
            return;
        }

        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Min = Count == 0 ? other.Min : Math.Min(Min, other.Min);
        Max = Count == 0 ? other.Max : Math.Max(Max, other.Max);
        Count += other.Count;
        Sum += other.Sum;
    }

    /// <summary>
    /// The value at or below which <paramref name="percent"/> % of the values lie, in µs: the middle of the bucket
    /// that holds it, kept within [Min, Max] so that p50 ≤ p90 ≤ p99 ≤ max always holds.
    /// </summary>
    public double Percentile(double percent)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(percent / 100.0 * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                (long low, long high) = BoundsOf(i);
                double middle = low + ((high - low) / 2.0);
                return Math.Clamp(middle, Min, Max);
            }
        }

        return Max;
    }

    /// <summary>
    /// How many values fall in [from, to) µs. A bucket is given to the range its middle lies in, so counts of
    /// adjacent ranges add up to <see cref="Count"/>.
    /// </summary>
    public long CountBetween(double from, double to)
    {
        long total = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            if (_counts[i] == 0)
            {
                continue;
            }

            (long low, long high) = BoundsOf(i);
            double middle = low + ((high - low) / 2.0);
            if (middle >= from && middle < to)
            {
                total += _counts[i];
            }
        }

        return total;
    }

    private static int IndexOf(long value)
    {
        if (value < Linear)
        {
            return (int)value;
        }

        int power = 63 - (int)long.LeadingZeroCount(value);          // ≥ 6
        int sub = (int)((value >> (power - SubBits)) & (SubCount - 1));
        return Linear + ((power - SubBits - 1) * SubCount) + sub;
    }

    /// <summary>The values a bucket holds: [low, high).</summary>
    private static (long Low, long High) BoundsOf(int index)
    {
        if (index < Linear)
        {
            return (index, index + 1);
        }

        int power = ((index - Linear) / SubCount) + SubBits + 1;
        int sub = (index - Linear) % SubCount;
        long width = 1L << (power - SubBits);
        long low = (1L << power) + (sub * width);
        return (low, low + width);
    }
}
