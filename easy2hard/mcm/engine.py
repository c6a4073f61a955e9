"""Lockstep online SGD of the one-neuron denoiser on the MCM (docs/science.md §4-5).

All R runs of one cell share N and advance together: w is an (R, N) tensor, and each run's
t, β_v, learning rate and projection are (R,) tensors. There is no Python loop over runs in
the step; activations are handled a few contiguous groups at a time.

Per step and run (batch B, z integrated out, λ_b = <w, x_b>), the gradient of the
one-neuron loss is (one_neuron.grad_integrated; plain SGD: one_neuron.SteinSGD)

    ∇ℓ = Δ_t [ e^{-t} mean_b P(λ_b) x_b + κ w ],   κ = (sqrt(Δ_t) Q̄ + Ḡ) / r,

so every update is w ← α w + Σ_b β_b x_b with per-run scalars:
- pSGD (``sphere``): the spherical gradient drops κ; α = 1 + η Δ e^{-t} mean_b P λ,
  β_b = -η Δ e^{-t} P_b / B, then w is renormalised. At r = 1, P is a function of λ only
  (the paper's effective nonlinearity); it is tabulated once per (activation, t, β_v) from
  the same Gauss-Hermite Stein terms and read by linear interpolation (relative error
  below 1e-5 for the smooth activations at t = 0.3, 1e-4 for scaled_tanh or t = 0.1;
  ``table_error`` measures it), so a step costs one dot product, a few (R,) operations and
  one axpy.
- plain SGD (``none``): P, Q, G by Gauss-Hermite at the current r; α = 1 - η Δ κ.
- ``z: mc`` draws the diffusion noise z and uses one_neuron.grad_mc instead.

The trainer is the class ``Lockstep``: it plans the run groups, takes steps (batch 1 and
batch B share the update and the renormalisation) and records the log table.

Data: every run owns its random streams (easy2hard.core.streams), keyed by (seed, N) only, so a
run's trajectory does not depend on the other runs of its cell, and runs that share a seed
see the same samples (common random numbers across activations and projections). Samples
are drawn in chunks of ``chunk_samples`` per run, one generator call per run per chunk.
Each sample uses N + 2 normals: the bulk g, the covariance latent λ and a normal ξ that
gives ν (Rademacher: sign ξ; three-point: ±1/sqrt(2a) when |ξ| passes the (1-a) quantile).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from ..core import lockstep
from ..core import mixed_cumulant as mcm
from ..core import streams
from ..core.diffusion import delta
from . import one_neuron
from .cells import Cell, NeuronRun  # noqa: F401  (the engine's settings, torch-free)

TABLE_SIZE = 1 << 15


def _model(cell: Cell, run: NeuronRun) -> mcm.MCM:
    return mcm.MCM(N=cell.N, beta_u=run.beta_u, beta_v=run.beta_v, latent=run.latent,
                   latent_a=cell.latent_a, student_df=cell.student_df,
                   correlated=run.correlated, mean_shift=cell.mean_shift)


def _spikes(cell: Cell, run: NeuronRun):
    return lockstep.spike_basis(cell.N, run.seed, cell.spikes, "mcm-spikes")


def table_range(cell: Cell, run: NeuronRun) -> float:
    """Half-width L of the λ grid; |λ| <= ‖x‖ on the sphere, and ‖x‖ < L but for rare tails."""
    return 2 * math.sqrt(cell.N) + 8 * math.sqrt(1 + run.beta_u) + 3 * abs(cell.mean_shift) + 8


def p_table(act: str, t: float, beta_v: float, L: float, order: int, size: int = TABLE_SIZE):
    """P(λ) at r = 1 on a uniform grid of ``size`` points over [-L, L] (float64)."""
    lam = torch.linspace(-L, L, size, dtype=torch.float64)
    _, P, _, _ = one_neuron.stein_terms(act, lam, 1.0, t, beta_v, order)
    return P


class _Tables:
    """Per-run linear interpolation of β(λ) = -η Δ_t e^{-t} P(λ) / B at r = 1.

    One table per distinct (activation, t, β_v, L, coefficient), shared by the runs that
    have those settings; λ outside [-L, L] (only for heavy-tailed latents) is recomputed
    exactly by Gauss-Hermite.
    """

    def __init__(self, cell: Cell, runs: list[NeuronRun], coef: list[float], device):
        keys, index, values = {}, [], []
        for run, c in zip(runs, coef):
            key = (run.activation, run.t, run.beta_v, table_range(cell, run), c)
            if key not in keys:
                keys[key] = len(values)
                values.append(-c * p_table(*key[:4], cell.gh_order))
            index.append(keys[key])
        T = torch.stack(values).float()
        self.size, self.cell, self.runs, self.coef = T.shape[1], cell, runs, coef
        self.tables = len(values)
        self.T = T.reshape(-1).to(device)
        self.D = torch.cat([T[:, 1:] - T[:, :-1], torch.zeros(len(values), 1)], 1).reshape(-1).to(device)
        L = torch.tensor([table_range(cell, r) for r in runs], dtype=torch.float64)
        self.L = L.float().to(device)
        self.inv_dx = ((self.size - 1) / (2 * L)).float().to(device)
        self.shift = torch.full_like(self.inv_dx, (self.size - 1) / 2)
        self.offset = (torch.tensor(index) * self.size).to(device)

    def __call__(self, lam: torch.Tensor, out: torch.Tensor | None = None, check: bool = False):
        """β for λ of shape (R,) or (R, B), one table per row."""
        shift, inv_dx, offset = self.shift, self.inv_dx, self.offset
        if lam.dim() > 1:
            shift, inv_dx, offset = shift[:, None], inv_dx[:, None], offset[:, None]
        u = torch.addcmul(shift, lam, inv_dx)
        if check:
            u.clamp_(0, self.size - 1.0001)
        j = u.to(torch.int64)
        frac = u.sub_(j)
        if self.tables > 1:
            j.add_(offset)
        out = torch.addcmul(self.T.take(j), frac, self.D.take(j), out=out)
        if check:
            self._fix(lam, out)
        return out

    def _fix(self, lam, out):
        L = self.L.view(-1, *(1,) * (lam.dim() - 1))
        for idx in (lam.abs() > L).nonzero().tolist():
            run = self.runs[idx[0]]
            _, P, _, _ = one_neuron.stein_terms(
                run.activation, lam[tuple(idx)].double().view(1), 1.0, run.t, run.beta_v,
                self.cell.gh_order)
            out[tuple(idx)] = float(-self.coef[idx[0]] * P[0])


class _Data:
    """Chunked per-run MCM samples in a buffer (R, chunk, N + 2) on the device."""

    def __init__(self, cell: Cell, runs: list[NeuronRun], chunk: int, device, noise: bool):
        N, R = cell.N, len(runs)
        self.N, self.chunk, self.device = N, chunk, device
        gdev = device if device.type == "cuda" else None
        self.gens = [streams.generator(r.seed, "mcm-data", N, device=gdev) for r in runs]
        self.buf = torch.empty(R, chunk, N + 2, device=device)
        self.noise_gens = ([streams.generator(r.seed, "mcm-noise", N, device=gdev) for r in runs]
                           if noise else None)
        self.z = torch.empty(R, chunk, N, device=device) if noise else None
        col = lambda xs: torch.tensor(xs, dtype=torch.float32, device=device).view(R, 1)  # noqa: E731
        models = [_model(cell, r) for r in runs]
        self.a = col([m.a for m in models])
        self.s = col([m.s for m in models])
        self.sqrt_bu = col([math.sqrt(r.beta_u) for r in runs])
        self.shift = cell.mean_shift
        corr = [r.correlated for r in runs]
        self.corr = torch.tensor([i for i, c in enumerate(corr) if c], device=device, dtype=torch.long)
        three = [i for i, r in enumerate(runs) if r.latent == "three_point" and not r.correlated]
        self.three = torch.tensor(three, device=device, dtype=torch.long)
        self.q = float(torch.special.ndtri(torch.tensor(1 - cell.latent_a, dtype=torch.float64)))
        self.three_scale = 1 / math.sqrt(2 * cell.latent_a)
        self.student = [i for i, r in enumerate(runs) if r.latent == "student_t" and not r.correlated]
        self.student_gens = {i: streams.generator(runs[i].seed, "mcm-latent", N) for i in self.student}
        self.student_df = cell.student_df
        self.axes = cell.spikes == "axes"
        if not self.axes:
            uvm = [_spikes(cell, r) for r in runs]
            self.U, self.V, self.M = (torch.stack([s[k] for s in uvm]).to(device) for k in range(3))
        self.sqnorm = torch.empty(R, chunk, device=device)

    def refill(self) -> None:
        """Draw the next chunk of every run and turn the normals into MCM samples."""
        for buf, gen in zip(self.buf, self.gens):
            buf.normal_(generator=gen)
        if self.z is not None:
            for z, gen in zip(self.z, self.noise_gens):
                z.normal_(generator=gen)
        g, lam, xi = self.buf[..., : self.N], self.buf[..., self.N], self.buf[..., self.N + 1]
        nu = torch.where(xi >= 0, 1.0, -1.0)
        if len(self.three):
            x3 = xi[self.three]
            nu[self.three] = ((x3 > self.q).float() - (x3 < -self.q).float()) * self.three_scale
        for i in self.student:
            nu[i] = mcm.latent("student_t", self.chunk, self.student_gens[i],
                               df=self.student_df).to(self.device)
        if len(self.corr):
            nu[self.corr] = torch.sign(lam[self.corr])
        if self.axes:
            g[..., 0].addcmul_(self.sqrt_bu, lam)
            g[..., 1].mul_(self.s).addcmul_(self.a, nu)
            if self.shift:
                g[..., 2].add_(self.shift)
        else:
            gv = torch.einsum("rcn,rn->rc", g, self.V)
            coef_v = self.a * nu + (self.s - 1) * gv
            g.add_(coef_v.unsqueeze(-1) * self.V.unsqueeze(1))
            g.add_((self.sqrt_bu * lam).unsqueeze(-1) * self.U.unsqueeze(1))
            if self.shift:
                g.add_(self.shift * self.M.unsqueeze(1))
        torch.linalg.vector_norm(g, dim=-1, out=self.sqnorm).square_()

    def x(self, lo: int, hi: int) -> torch.Tensor:
        return self.buf[:, lo:hi, : self.N]


def sample_chunk(cell: Cell, runs: list[NeuronRun], chunk: int, device="cpu") -> torch.Tensor:
    """One chunk (R, chunk, N) of the engine's training samples (for tests of its sampler)."""
    data = _Data(cell, runs, chunk, torch.device(device), noise=False)
    data.refill()
    return data.x(0, chunk).clone()


def _eval_sets(cell: Cell, runs: list[NeuronRun], device):
    """Held-out samples of each run's MCM and its two clones, with common random numbers."""
    sets = [lockstep.clone_test_sets(_model(cell, run), _spikes(cell, run), cell.eval_samples,
                                     run.seed, "mcm-eval") for run in runs]
    return {k: torch.stack([s[k] for s in sets]).to(device) for k in sets[0]}


class Lockstep:
    """All runs of one cell, advancing together: w (R, N) and per-run settings as (R,) tensors.

    Runs are reordered into contiguous groups (``_plan``): table-driven pSGD runs first, then
    one group per (projection, activation). ``step`` computes λ = <w, x>, the coefficients
    α, β of w ← α w + Σ_b β_b x_b for every group, and applies that ``update``;
    ``renormalise`` puts pSGD runs back on the sphere; ``record`` logs one row per run.
    """

    def __init__(self, cell: Cell, runs: list[NeuronRun], device, chunk_samples: int, init):
        if cell.z not in ("integrated", "mc"):
            raise ValueError(f"unknown z {cell.z!r}; allowed: integrated, mc")
        for r in runs:
            if r.projection not in ("sphere", "none"):
                raise ValueError(f"unknown projection {r.projection!r}; allowed: sphere, none")
        self.cell, self.device, self.B = cell, device, cell.batch
        order = self._plan(runs)
        col = lambda xs: torch.tensor(xs, dtype=torch.float32, device=device)  # noqa: E731
        self.t, self.beta_v = col([r.t for r in self.runs]), col([r.beta_v for r in self.runs])
        self.lr = col([r.lr for r in self.runs])
        self.dt = delta(self.t)
        self.c_p = self.lr * self.dt * torch.exp(-self.t) / self.B  # β_b = -c_p P_b
        self.sphere = col([r.projection == "sphere" for r in self.runs]).bool()
        self.w = self._initial_weights(None if init is None else
                                       torch.as_tensor(init, dtype=torch.float32)[order])
        uvm = [_spikes(cell, r) for r in self.runs]
        self.U, self.V = (torch.stack([s[k] for s in uvm]).to(device) for k in range(2))
        self.r2 = (self.w * self.w).sum(1)
        self.chunk = max(1, chunk_samples // self.B)
        self.data = _Data(cell, self.runs, self.chunk * self.B, device, noise=cell.z == "mc")
        nf = self.n_fast
        coef = [r.lr * delta(r.t) * math.exp(-r.t) / self.B for r in self.runs[:nf]]
        self.tables = _Tables(cell, self.runs[:nf], coef, device) if nf else None
        self.evals = _eval_sets(cell, self.runs, device) if cell.eval_samples else None
        self.eval_groups = {a: torch.tensor([i for i, r in enumerate(self.runs) if r.activation == a],
                                            device=device)
                            for a in dict.fromkeys(r.activation for r in self.runs)}
        self.stein = {sl.start: one_neuron.SteinSGD(act, self.t[sl], self.beta_v[sl], cell.gh_order)
                      for (proj, act), sl in self.groups if cell.z == "integrated"}
        self._buffers()
        self.records: list[dict] = []

    def _plan(self, runs: list[NeuronRun]) -> list[int]:
        """Sort the runs into groups; return the order (index into the given runs)."""
        fast = self.cell.z == "integrated"
        order = sorted(range(len(runs)), key=lambda i: (
            not (fast and runs[i].projection == "sphere"), runs[i].projection, runs[i].activation))
        self.runs = [runs[i] for i in order]
        self.n_fast = sum(r.projection == "sphere" for r in self.runs) if fast else 0
        self.groups = lockstep.groups([(r.projection, r.activation) for r in self.runs[self.n_fast:]],
                                      start=self.n_fast)
        return order

    def _initial_weights(self, init) -> torch.Tensor:
        """Uniform directions from each run's stream; norm 1 (pSGD) or ``w_init_norm``."""
        w = torch.empty(len(self.runs), self.cell.N, device=self.device)
        for i, r in enumerate(self.runs):
            w0 = torch.randn(self.cell.N, generator=streams.generator(r.seed, "mcm-init", self.cell.N))
            w[i] = (w0 / w0.norm() * (1.0 if r.projection == "sphere" else self.cell.w_init_norm)).to(self.device)
            if init is not None:
                w[i] = init[i] / (init[i].norm() if r.projection == "sphere" else 1.0)
        return w

    def _buffers(self) -> None:
        R, B, nf, dev = len(self.runs), self.B, self.n_fast, self.device
        self.alpha = torch.ones(R, device=dev)
        self.beta = torch.zeros(R, B, device=dev)
        self.lam = torch.empty(R, B, device=dev)
        self.tmp = torch.empty(R, self.cell.N, device=dev)
        self.ones = torch.ones(nf, device=dev)
        self.rsbuf = torch.empty(nf, device=dev)

    def record(self, step: int) -> None:
        """Overlaps with u and v, ‖w‖ and (with eval_samples) the test losses of every run."""
        w, norm = self.w, self.w.norm(dim=1)
        rec = {"step": step, "n": step * self.B, "overlap_u": (w * self.U).sum(1).abs() / norm,
               "overlap_v": (w * self.V).sum(1).abs() / norm, "w_norm": norm}
        for name, X in (self.evals or {}).items():
            loss = torch.empty(len(self.runs), device=self.device)
            for act, ix in self.eval_groups.items():
                loss[ix] = one_neuron.loss_integrated(
                    w[ix], X[ix], act, self.t[ix], self.beta_v[ix], self.cell.gh_order).mean(-1)
            rec[f"loss_{name}"] = loss
        self.records.append({k: (np.asarray(v.cpu().numpy(), dtype=np.float64)
                                 if torch.is_tensor(v) else v) for k, v in rec.items()})

    def _fast_coefficients(self, sq, check: bool) -> None:
        """α, β of the table-driven pSGD runs. Batch 1: the renormalisation is folded in,
        α = 1 - βλ and ‖α w + β x‖² = 1 + β² (‖x‖² - λ²); batch B: α = 1 - Σ_b β_b λ_b."""
        nf = self.n_fast
        lam, beta, alpha = self.lam[:nf], self.beta[:nf], self.alpha[:nf]
        if self.B > 1:
            b = self.tables(lam, out=beta, check=check)
            torch.sub(1, (b * lam).sum(1), out=alpha)
            return
        lam1, beta1 = lam[:, 0], beta[:, 0]
        self.tables(lam1, out=beta1, check=check)
        torch.addcmul(self.ones, beta1, lam1, value=-1, out=alpha)
        rs = torch.addcmul(sq[:nf], lam1, lam1, value=-1, out=self.rsbuf)
        rs.mul_(beta1).mul_(beta1).add_(1).rsqrt_()
        alpha.mul_(rs)
        beta1.mul_(rs)

    def _group_coefficients(self, x, sq, s: int) -> None:
        """α, β (and, at batch 1, r²) of the groups that do not use the table; ``z: mc``
        groups update their rows of w directly."""
        B = self.B
        for (proj, act), sl in self.groups:
            if self.cell.z == "mc":
                _mc_step(self.w, sl, x, self.data.z[:, s * B:(s + 1) * B], act, proj,
                         self.t, self.beta_v, self.lr)
                continue
            r = self.r2[sl].sqrt()
            P, kappa = self.stein[sl.start](self.lam[sl], r)
            torch.mul(P, self.c_p[sl, None], out=self.beta[sl]).neg_()
            a = 1 - self.lr[sl] * self.dt[sl] * kappa
            self.alpha[sl] = a
            if B == 1:  # r² of α w + β x from λ and ‖x‖², no extra pass over w
                b, l0 = self.beta[sl, 0], self.lam[sl, 0]
                self.r2[sl] = a * a * self.r2[sl] + 2 * a * b * l0 + b * b * sq[sl]

    def step(self, s: int, check: bool) -> None:
        """One SGD step of every run on sample block ``s`` of the current chunk."""
        B = self.B
        if B == 1:
            x, sq = self.data.buf[:, s, :self.cell.N], self.data.sqnorm[:, s]
            torch.mul(self.w, x, out=self.tmp)
            torch.sum(self.tmp, dim=1, out=self.lam[:, 0])
        else:
            x, sq = self.data.x(s * B, (s + 1) * B), None
            torch.bmm(x, self.w.unsqueeze(-1), out=self.lam.unsqueeze(-1))
        if self.n_fast:
            self._fast_coefficients(sq, check)
        if self.groups:
            self._group_coefficients(x, sq, s)
        self.update(x)
        if B > 1:
            self.renormalise()

    def update(self, x: torch.Tensor) -> None:
        """w ← α w + Σ_b β_b x_b for x (R, N) at batch 1 or (R, B, N)."""
        if x.dim() == 2:
            self.w.mul_(self.alpha.unsqueeze(1)).addcmul_(x, self.beta)
        else:
            self.w.mul_(self.alpha.unsqueeze(1)).add_(torch.bmm(self.beta.unsqueeze(1), x).squeeze(1))

    def renormalise(self) -> None:
        """Put pSGD runs back on the sphere (removes float drift) and refresh r² = ‖w‖²."""
        torch.sum(self.w * self.w, dim=1, out=self.r2)
        self.w.div_(torch.where(self.sphere, self.r2.sqrt(), 1.0).unsqueeze(1))
        self.r2.masked_fill_(self.sphere, 1.0)

    def run(self) -> pd.DataFrame:
        """Train every run for ``cell.steps`` steps; the log table in the caller's sort order."""
        logged = set(lockstep.log_steps(self.cell.steps, self.cell.log_points))
        self.record(0)
        step = 0
        while step < self.cell.steps:
            self.data.refill()
            todo = min(self.chunk, self.cell.steps - step)
            check = bool((self.data.sqnorm[:self.n_fast].amax(1) > self.tables.L**2).any()) \
                if self.n_fast else False
            for s in range(todo):
                self.step(s, check)
                step += 1
                if step in logged:
                    self.record(step)
            self.renormalise()
        return _table(self.cell, self.runs, self.records)


def train(cell: Cell, runs: list[NeuronRun], device="cpu", chunk_samples: int = 256,
          init: torch.Tensor | None = None) -> pd.DataFrame:
    """Train all ``runs`` of ``cell`` in lockstep; one output row per run and logged step.

    Columns: the cell's N, the run's fields, the cell's batch, step, n = step * batch,
    overlap_u, overlap_v (|<w, u>| / ‖w‖, likewise v), w_norm and, with eval_samples > 0,
    the test losses loss_mcm, loss_mean_iso_clone, loss_meancov_clone (z integrated,
    w-independent part included, so that the three are comparable). ``init`` (R, N)
    replaces the random initial weights (pSGD runs are normalised), e.g. to plant w = v.
    """
    return Lockstep(cell, runs, torch.device(device), chunk_samples, init).run()


def _mc_step(w, sl, x, z, act, proj, t, beta_v, lr):
    """One Monte-Carlo-z step for the rows ``sl`` (in place)."""
    x0 = x[sl] if x.dim() == 3 else x[sl].unsqueeze(1)
    zz = z[sl]
    g = one_neuron.grad_mc(w[sl], x0, zz, act, t[sl], beta_v[sl])
    if proj == "sphere":
        g = g - (g * w[sl]).sum(1, keepdim=True) * w[sl]
        w_new = w[sl] - lr[sl, None] * g
        w[sl] = w_new / w_new.norm(dim=1, keepdim=True)
    else:
        w[sl] = w[sl] - lr[sl, None] * g


def _table(cell: Cell, runs: list[NeuronRun], records: list[dict]) -> pd.DataFrame:
    labels = lockstep.labels(runs)
    labels.insert(0, "N", cell.N)
    labels["batch"] = cell.batch
    out = lockstep.assemble(labels, records)
    return out.sort_values(["seed", "activation", "projection", "latent", "correlated", "beta_u",
                            "beta_v", "t", "step"], kind="stable").reset_index(drop=True)


def table_error(cell: Cell, run: NeuronRun, points: int = 2001) -> float:
    """Largest |P_table - P_exact| / (1 + |P_exact|) over λ in [-L, L] (float32 table)."""
    tables = _Tables(cell, [run], [-1.0], torch.device("cpu"))
    L = table_range(cell, run)
    lam = torch.linspace(-L, L, points, dtype=torch.float64) * 0.999
    _, exact, _, _ = one_neuron.stein_terms(run.activation, lam, 1.0, run.t, run.beta_v, cell.gh_order)
    approx = tables(lam.float().view(1, -1)).double().view(-1)
    return float(((approx - exact).abs() / (1 + exact.abs())).max())
