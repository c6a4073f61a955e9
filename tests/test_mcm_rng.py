"""The compiled random numbers of the reduced engine (easy2hard.mcm.rng) follow their laws,
are reproducible per (seed, tags) and differ between streams. Sample sizes: 4·10⁵ draws per
law, KS at level 10⁻³ (a wrong law, e.g. the ziggurat without its wedges, fails by far); tail
frequencies are binomial counts compared within 5 standard deviations."""

import math

import numpy as np
import pytest
from numba import njit
from scipy import stats

from easy2hard.mcm import rng

N_DRAWS = 400_000


@njit
def _draws(a, n, kind, df):
    s = rng.load(a)
    out = np.empty(n)
    for i in range(n):
        if kind == 0:
            out[i], s = rng.normal(s)
        elif kind == 1:
            out[i], s = rng.uniform(s)
        elif kind == 2:
            out[i], s = rng.chisquare(s, df)
        else:
            out[i], s = rng.student_t(s, df)
    rng.store(a, s)
    return out


@pytest.mark.parametrize("kind, df, law", [
    (0, 0.0, stats.norm), (1, 0.0, stats.uniform), (2, 0.5, stats.chi2(0.5)),
    (2, 3.0, stats.chi2(3.0)), (2, 125.0, stats.chi2(125.0)), (3, 5.0, stats.t(5.0))])
def test_draws_follow_their_law(kind, df, law):
    x = _draws(rng.seed_state(7, "test", kind, df), N_DRAWS, kind, df)
    assert stats.kstest(x, law.cdf).pvalue > 1e-3


def test_normal_tails_and_wedges():
    """The tail beyond the ziggurat's base (3.654) and the wedges have the normal's mass."""
    x = _draws(rng.seed_state(1, "tails"), 4_000_000, 0, 0.0)
    for a in (1.0, 2.5, 3.0, 3.654, 4.0):
        p = 2 * stats.norm.sf(a)
        count = (np.abs(x) > a).sum()
        assert abs(count - p * len(x)) < 5 * math.sqrt(p * len(x)) + 1, a


def test_streams_are_reproducible_and_distinct():
    a = _draws(rng.seed_state(3, "mcm-data", 64), 100, 0, 0.0)
    b = _draws(rng.seed_state(3, "mcm-data", 64), 100, 0, 0.0)
    c = _draws(rng.seed_state(3, "mcm-noise", 64), 100, 0, 0.0)
    d = _draws(rng.seed_state(4, "mcm-data", 64), 100, 0, 0.0)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(a, d)
    assert abs(np.corrcoef(a, c)[0, 1]) < 0.5


def test_state_advances_in_place():
    a = rng.seed_state(0, "x")
    first = _draws(a, 10, 0, 0.0)
    second = _draws(a, 10, 0, 0.0)
    assert not np.array_equal(first, second)


ENTROPIES = [0, 1, 2**32 - 1, 2**32, 2**63 - 1, *np.random.default_rng(5).integers(
    0, 2**63, 200, dtype=np.uint64).tolist()]  # one- and two-word entropies, and random ones


def test_seed_states_are_numpys_seed_sequence():
    """The batched seeding reproduces np.random.SeedSequence(e).generate_state(4, uint64)
    word for word (so every stream is the one seed_state gave before it was batched)."""
    got = rng.seed_states(np.array(ENTROPIES, dtype=np.uint64))
    for e, words in zip(ENTROPIES, got):
        want = np.random.SeedSequence(int(e)).generate_state(4, np.uint64)
        np.testing.assert_array_equal(words, want if want.any() else [1, 0, 0, 0])


def test_pcg64_state_is_numpys_seeding():
    """A PCG64 set to pcg64_state(words of e) is np.random.PCG64(e): same state, same draws."""
    words = rng.seed_states(np.array(ENTROPIES, dtype=np.uint64))
    bits = np.random.PCG64()
    for e, w in zip(ENTROPIES, words):
        bits.state = rng.pcg64_state(w)
        assert bits.state == np.random.PCG64(int(e)).state
    np.testing.assert_array_equal(np.random.Generator(bits).standard_normal(5),
                                  np.random.default_rng(int(ENTROPIES[-1])).standard_normal(5))
