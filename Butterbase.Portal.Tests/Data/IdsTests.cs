using Butterbase.Portal.Data;

namespace Butterbase.Portal.Tests.Data;

public sealed class IdsTests
{
    [Fact]
    public void Ids_are_prefixed_lowercase_alphanumeric_unique_and_every_character_is_equally_likely()
    {
        const int count = 20_000, length = 20;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var seen = new int[36];
        // From several threads at once: each keeps its own buffer of random bytes.
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < count / 4; i++)
            {
                var id = Ids.New("ex_", length);
                Assert.StartsWith("ex_", id);
                Assert.Equal(3 + length, id.Length);
                lock (ids)
                {
                    Assert.True(ids.Add(id), $"duplicate id {id}");
                    foreach (var c in id[3..])
                        seen[c is >= 'a' and <= 'z' ? c - 'a' : c is >= '0' and <= '9' ? 26 + c - '0' : throw new Xunit.Sdk.XunitException($"unexpected character '{c}' in {id}")]++;
                }
            }
        });

        // 400,000 characters over 36 symbols: chi-square with 35 degrees of freedom stays under 80 unless the draw is
        // biased (a plain `byte % 36` gives the first 4 characters 1/7 more weight: chi-square ≈ 780 here; 80 is exceeded by
        // chance about once in 20,000 runs).
        var expected = count * length / 36.0;
        var chiSquare = seen.Sum(n => (n - expected) * (n - expected) / expected);
        Assert.True(chiSquare < 80, $"chi-square {chiSquare:0.0} over 35 degrees of freedom: the characters are not uniform");
    }

    [Fact]
    public void Ordered_ids_sort_in_time_order_as_text_and_keep_a_random_tail()
    {
        var t0 = new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);
        var times = new[] { t0.AddDays(400), t0, DateTimeOffset.UnixEpoch, t0.AddMilliseconds(35), t0.AddMilliseconds(1), t0.AddSeconds(36), new DateTimeOffset(5000, 1, 1, 0, 0, 0, TimeSpan.Zero) };
        var ids = times.Select(t => (Time: t, Id: Ids.Ordered("ex_", 20, t))).ToList();
        Assert.All(ids, x => Assert.Matches("^ex_[a-z0-9]{20}$", x.Id)); // the same shape as every other execution id
        Assert.Equal(ids.OrderBy(x => x.Time).Select(x => x.Id), ids.Select(x => x.Id).Order(StringComparer.Ordinal));

        // Within one millisecond: the same time prefix, different random tails.
        var same = Enumerable.Range(0, 1000).Select(_ => Ids.Ordered("ex_", 20, t0)).ToList();
        Assert.Single(same.Select(id => id[..(3 + Ids.TimeChars)]).Distinct());
        Assert.Equal(1000, same.Distinct().Count());
    }
}
