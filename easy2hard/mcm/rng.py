"""Compiled random numbers for the reduced simulator: xoshiro256++ streams and a 256-layer
ziggurat for normals (docs/science.md §9.4).

A stream is a (4,) uint64 state array (a tuple inside the loops: ``load``/``store``), seeded from the same stable hash of (seed, *tags) as
core.streams (through numpy's SeedSequence), so each run and purpose has its own stream and
results do not depend on which runs share a call. Draws: ``uniform`` in [0, 1) (53 bits),
``normal`` (ziggurat, Marsaglia & Tsang 2000; one 64-bit word in 99 % of draws),
``chisquare`` (2 Gamma(df/2), Marsaglia & Tsang 2000 squeeze: one normal and one uniform
per draw in ~98 %), ``student_t``. Each takes the state tuple and returns (draw, new state):
no arrays cross the calls, so LLVM inlines them into the loops and numba adds no reference
counting (a call that passes an array made a normal 8× slower).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, uint64

from ..core import streams

ZIG_R = 3.6541528853610088  # start of the tail of the 256-layer ziggurat
ZIG_V = 4.92867323399e-3  # area of each layer


def _ziggurat_tables():
    """k (acceptance thresholds on 52 bits), w (x per unit) and f (density) of each layer;
    layer 0 is the base strip with the tail (Marsaglia & Tsang 2000, 256 layers)."""
    m1 = 2.0**52
    k, w, f = np.zeros(256, np.int64), np.zeros(256), np.zeros(256)
    dn = tn = ZIG_R
    q = ZIG_V / math.exp(-0.5 * dn * dn)
    k[0], k[1] = int(dn / q * m1), 0
    w[0], w[255] = q / m1, dn / m1
    f[0], f[255] = 1.0, math.exp(-0.5 * dn * dn)
    for i in range(254, 0, -1):
        dn = math.sqrt(-2.0 * math.log(ZIG_V / dn + math.exp(-0.5 * dn * dn)))
        k[i + 1] = int(dn / tn * m1)
        tn = dn
        f[i] = math.exp(-0.5 * dn * dn)
        w[i] = dn / m1
    return k, w, f


ZK, ZW, ZF = _ziggurat_tables()


def seed_state(seed: int, *tags) -> np.ndarray:
    """The (4,) uint64 xoshiro256++ state of stream (seed, *tags)."""
    return seed_states(np.array([streams.seed_of(seed, *tags)], dtype=np.uint64))[0]


# numpy's SeedSequence (pool of four 32-bit words; numpy/random/bit_generator.pyx).
_INIT_A, _MULT_A, _INIT_B, _MULT_B, _MIX_L, _MIX_R, _MASK32, _SHIFT = (np.uint64(x) for x in (
    0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED, 0xCA01F9DD, 0x4973F715, 0xFFFFFFFF, 16))


@njit(cache=True)
def _hashmix(value, h):
    """(hashed value, next hash constant) of SeedSequence's hashmix, in 32-bit words."""
    value = (value ^ h) & _MASK32
    h = (h * _MULT_A) & _MASK32
    value = (value * h) & _MASK32
    return value ^ (value >> _SHIFT), h


@njit(cache=True)
def _mix(x, y):
    r = (_MIX_L * x - _MIX_R * y) & _MASK32
    return r ^ (r >> _SHIFT)


@njit(cache=True)
def seed_states(entropies):
    """(n, 4) uint64: row i is ``np.random.SeedSequence(entropies[i]).generate_state(4,
    np.uint64)`` (an all-zero state, which xoshiro cannot leave, gets a 1 in word 0); the
    same words as numpy, computed for a whole cell in one call (20 µs a stream in numpy)."""
    out = np.zeros((entropies.shape[0], 4), dtype=np.uint64)
    pool = np.zeros(4, dtype=np.uint64)
    for i in range(entropies.shape[0]):
        e = entropies[i]
        words = (e & _MASK32, e >> uint64(32))  # int → 32-bit words, little-endian
        h = _INIT_A
        for j in range(4):
            word = words[j] if j < 2 and (j == 0 or words[1] != 0) else uint64(0)
            pool[j], h = _hashmix(word, h)
        for src in range(4):
            for dst in range(4):
                if src != dst:
                    hashed, h = _hashmix(pool[src], h)
                    pool[dst] = _mix(pool[dst], hashed)
        h = _INIT_B
        for k in range(8):  # generate_state: 8 words of 32 bits, cycling the pool
            value = (pool[k % 4] ^ h) & _MASK32
            h = (h * _MULT_B) & _MASK32
            value = (value * h) & _MASK32
            value ^= value >> _SHIFT
            out[i, k // 2] |= value << uint64(32 * (k % 2))
        if out[i, 0] == 0 and out[i, 1] == 0 and out[i, 2] == 0 and out[i, 3] == 0:
            out[i, 0] = 1
    return out


_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645
_MASK128 = (1 << 128) - 1


def pcg64_state(words: np.ndarray) -> dict:
    """The ``state`` of ``np.random.PCG64`` seeded by a SeedSequence whose generate_state(4,
    np.uint64) is ``words`` (numpy's pcg64_set_seed: state and increment from two words each),
    so one PCG64 can take a run's seed without building a SeedSequence and a generator."""
    w = [int(x) for x in words]
    init, inc = (w[0] << 64) | w[1], (((w[2] << 64) | w[3]) << 1 | 1) & _MASK128
    state = ((inc + init) * _PCG_MULT + inc) & _MASK128  # step from 0 (→ inc), add seed, step
    return {"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
            "has_uint32": 0, "uinteger": 0}


@njit(cache=True)
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(cache=True)
def next_u64(s):
    """xoshiro256++ (Blackman & Vigna 2019): (next 64-bit word, new state) of state tuple s."""
    s0, s1, s2, s3 = s
    out = _rotl(s0 + s3, 23) + s0
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return out, (s0, s1, s2, s3)


@njit(cache=True)
def uniform(s):
    """(U[0, 1) with 53 random bits, new state)."""
    r, s = next_u64(s)
    return float(r >> uint64(11)) * (1.0 / 9007199254740992.0), s


@njit(cache=True)
def _normal_slow(s, idx, neg, x):
    """The ziggurat's rare branches for a draw x in layer idx: the wedge (idx > 0) or the
    tail (idx = 0); (nan, state) asks for a fresh draw."""
    if idx == 0:
        while True:
            u1, s = uniform(s)
            u2, s = uniform(s)
            xx = -math.log1p(-u1) / ZIG_R
            yy = -math.log1p(-u2)
            if yy + yy > xx * xx:
                return (-(ZIG_R + xx) if neg else ZIG_R + xx), s
    u, s = uniform(s)
    if (ZF[idx - 1] - ZF[idx]) * u + ZF[idx] < math.exp(-0.5 * x * x):
        return (-x if neg else x), s
    return math.nan, s


@njit(cache=True)
def normal(s):
    """(N(0, 1), new state) by the ziggurat: bits 0-7 of a word pick the layer, bit 8 the
    sign, bits 12-63 the abscissa (52 bits)."""
    while True:
        r, s = next_u64(s)
        idx = np.int64(r & uint64(0xFF))
        rabs = np.int64(r >> uint64(12))
        x = float(rabs) * ZW[idx]
        neg = (r >> uint64(8)) & uint64(1)
        if rabs < ZK[idx]:
            return (-x if neg else x), s
        y, s = _normal_slow(s, idx, neg, x)
        if y == y:
            return y, s


@njit(cache=True)
def gamma_constants(a):
    """(a, d, c) of ``gamma_prepared`` for shape a > 0: d = a' − 1/3 and c = 1/sqrt(9d) of
    a' = a (a >= 1) or a + 1 (a < 1; the draw is then boosted by U^{1/a})."""
    d = (a if a >= 1 else a + 1.0) - 1.0 / 3.0
    return a, d, 1.0 / math.sqrt(9.0 * d)


@njit(cache=True)
def gamma_prepared(s, a, d, c):
    """(Gamma(a, 1), new state) with the constants of ``gamma_constants(a)`` computed once
    (Marsaglia & Tsang 2000; the same draws as ``gamma``)."""
    if a <= 0:
        return 0.0, s
    boost = 1.0
    if a < 1:
        u, s = uniform(s)
        boost = u ** (1.0 / a)
    while True:
        x, s = normal(s)
        v = 1.0 + c * x
        if v <= 0:
            continue
        v = v * v * v
        u, s = uniform(s)
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2 or math.log(u) < 0.5 * x2 + d * (1.0 - v + math.log(v)):
            return d * v * boost, s


@njit(cache=True)
def gamma(s, a):
    """(Gamma(a, 1), new state) for a > 0 (Marsaglia & Tsang 2000; a < 1 by Gamma(a + 1) U^{1/a})."""
    if a <= 0:
        return 0.0, s
    a, d, c = gamma_constants(a)
    return gamma_prepared(s, a, d, c)


@njit(cache=True)
def chisquare_constants(df):
    """The constants of ``chisquare_prepared`` for df degrees of freedom (``gamma_constants``
    of df/2; df <= 0 gives a zero draw)."""
    if df <= 0:
        return 0.0, 0.0, 0.0
    return gamma_constants(0.5 * df)


@njit(cache=True)
def chisquare_prepared(s, a, d, c):
    """(χ²_df, new state) with (a, d, c) = ``chisquare_constants(df)``: inside a loop, no
    square root or division per draw (the same draws as ``chisquare``)."""
    g, s = gamma_prepared(s, a, d, c)
    return 2.0 * g, s


@njit(cache=True)
def chisquare(s, df):
    """(χ²_df, new state); 0 for df <= 0."""
    if df <= 0:
        return 0.0, s
    g, s = gamma(s, 0.5 * df)
    return 2.0 * g, s


@njit(cache=True)
def student_t(s, df):
    """(Student t with df degrees of freedom, new state)."""
    z, s = normal(s)
    q, s = chisquare(s, df)
    return z / math.sqrt(q / df), s


@njit(cache=True)
def load(a):
    """The state tuple of a (4,) uint64 array."""
    return (a[0], a[1], a[2], a[3])


@njit(cache=True)
def store(a, s):
    """Write state tuple s into the (4,) uint64 array a."""
    a[0], a[1], a[2], a[3] = s
