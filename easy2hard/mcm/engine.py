"""Lockstep online SGD of the one-neuron denoiser on the MCM (SCIENCE §4-5).

All R runs of one cell share N and advance together: w is an (R, N) tensor, and each run's
t, β_v, learning rate and projection are (R,) tensors. There is no Python loop over runs in
the step; activations are handled a few contiguous groups at a time.

Per step and run (batch B, z integrated out, λ_b = <w, x_b>), the gradient of the
one-neuron loss is (one_neuron.grad_integrated)

    ∇ℓ = Δ_t [ e^{-t} mean_b P(λ_b) x_b + κ w ],   κ = (sqrt(Δ_t) Q̄ + Ḡ) / r,

so every update is w ← α w + Σ_b β_b x_b with per-run scalars:
- pSGD (``sphere``): the spherical gradient drops κ; α = 1 + η Δ e^{-t} mean_b P λ,
  β_b = -η Δ e^{-t} P_b / B, then w is renormalised. At r = 1, P is a function of λ only
  (the paper's effective nonlinearity); it is tabulated once per (activation, t, β_v) from
  the same Gauss-Hermite Stein terms and read by linear interpolation (relative error
  below 1e-5; ``table_error`` measures it), so a step costs one dot product, a few (R,)
  operations and one axpy.
- plain SGD (``none``): P, Q, G by Gauss-Hermite at the current r; α = 1 - η Δ κ.
- ``z: mc`` draws the diffusion noise z and uses one_neuron.grad_mc instead.

Data: every run owns its random streams (easy2hard.core.streams), keyed by (seed, N) only, so a
run's trajectory does not depend on the other runs of its cell, and runs that share a seed
see the same samples (common random numbers across activations and projections). Samples
are drawn in chunks of ``chunk_samples`` per run, one generator call per run per chunk.
Each sample uses N + 2 normals: the bulk g, the covariance latent λ and a normal ξ that
gives ν (Rademacher: sign ξ; three-point: ±1/sqrt(2a) when |ξ| passes the (1-a) quantile).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch

from ..core import mixed_cumulant as mcm
from ..core import streams
from ..core.diffusion import delta
from . import one_neuron

TABLE_SIZE = 1 << 15


@dataclass(frozen=True)
class Run:
    """The per-run settings of one lockstep run (one row group of the output table)."""

    seed: int
    activation: str = "sigma_star"
    projection: str = "sphere"
    latent: str = "rademacher"
    correlated: bool = False
    beta_u: float = 0.0
    beta_v: float = math.inf
    t: float = 0.1
    lr: float = 0.01


@dataclass(frozen=True)
class Cell:
    """Settings shared by all runs of a cell (one N)."""

    N: int
    steps: int
    batch: int = 1
    spikes: str = "axes"
    mean_shift: float = 0.0
    latent_a: float = 0.1
    student_df: float = 5.0
    z: str = "integrated"
    gh_order: int = 24
    w_init_norm: float = 1.0
    log_points: int = 40
    eval_samples: int = 0


def log_steps(steps: int, points: int) -> np.ndarray:
    """Step 0 and ``points`` log-spaced steps in [1, steps] (duplicates merged)."""
    s = np.unique(np.round(np.geomspace(1, max(steps, 1), points)).astype(np.int64))
    return np.concatenate([[0], s[(s >= 1) & (s <= steps)]])


def _model(cell: Cell, run: Run) -> mcm.MCM:
    return mcm.MCM(N=cell.N, beta_u=run.beta_u, beta_v=run.beta_v, latent=run.latent,
                   latent_a=cell.latent_a, student_df=cell.student_df,
                   correlated=run.correlated, mean_shift=cell.mean_shift)


def _spikes(cell: Cell, run: Run):
    gen = streams.generator(run.seed, "mcm-spikes", cell.N)
    return mcm.spikes(cell.N, cell.spikes, gen)


def table_range(cell: Cell, run: Run) -> float:
    """Half-width L of the λ grid; |λ| <= ‖x‖ on the sphere, and ‖x‖ < L but for rare tails."""
    return 2 * math.sqrt(cell.N) + 8 * math.sqrt(1 + run.beta_u) + 3 * abs(cell.mean_shift) + 8


def p_table(act: str, t: float, beta_v: float, L: float, order: int, size: int = TABLE_SIZE):
    """P(λ) at r = 1 on a uniform grid of ``size`` points over [-L, L] (float64)."""
    lam = torch.linspace(-L, L, size, dtype=torch.float64)
    _, P, _, _ = one_neuron._stein_terms(act, lam, 1.0, t, beta_v, order)
    return P


class _Tables:
    """Per-run linear interpolation of β(λ) = -η Δ_t e^{-t} P(λ) / B at r = 1.

    One table per distinct (activation, t, β_v, L, coefficient), shared by the runs that
    have those settings; λ outside [-L, L] (only for heavy-tailed latents) is recomputed
    exactly by Gauss-Hermite.
    """

    def __init__(self, cell: Cell, runs: list[Run], coef: list[float], device):
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
            _, P, _, _ = one_neuron._stein_terms(
                run.activation, lam[tuple(idx)].double().view(1), 1.0, run.t, run.beta_v,
                self.cell.gh_order)
            out[tuple(idx)] = float(-self.coef[idx[0]] * P[0])


class _Data:
    """Chunked per-run MCM samples in a buffer (R, chunk, N + 2) on the device."""

    def __init__(self, cell: Cell, runs: list[Run], chunk: int, device, noise: bool):
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


def sample_chunk(cell: Cell, runs: list[Run], chunk: int, device="cpu") -> torch.Tensor:
    """One chunk (R, chunk, N) of the engine's training samples (for tests of its sampler)."""
    data = _Data(cell, runs, chunk, torch.device(device), noise=False)
    data.refill()
    return data.x(0, chunk).clone()


def _eval_sets(cell: Cell, runs: list[Run], device):
    """Held-out samples of each run's MCM and its two clones, with common random numbers."""
    E = cell.eval_samples
    sets = {"mcm": [], "mean_clone": [], "meancov_clone": []}
    for run in runs:
        model = _model(cell, run)
        u, v, m = _spikes(cell, run)
        mean, cov = mcm.moments(model, u, v, m)
        gen = lambda: streams.generator(run.seed, "mcm-eval", cell.N)  # noqa: E731
        sets["mcm"].append(mcm.sample(model, E, u, v, m, generator=gen()))
        sets["mean_clone"].append(mcm.clone_sampler("mean", mean, cov)(E, gen()))
        sets["meancov_clone"].append(mcm.clone_sampler("meancov", mean, cov)(E, gen()))
    return {k: torch.stack(v).to(device) for k, v in sets.items()}


def train(cell: Cell, runs: list[Run], device="cpu", chunk_samples: int = 256,
          init: torch.Tensor | None = None) -> pd.DataFrame:
    """Train all ``runs`` of ``cell`` in lockstep; one output row per run and logged step.

    Columns: the cell's N and batch, the run's fields, step, n = step * batch, overlap_u,
    overlap_v (|<w, u>| / ‖w‖, likewise v), w_norm and, with eval_samples > 0, the test
    losses loss_mcm, loss_mean_clone, loss_meancov_clone (z integrated, w-independent part
    included, so that the three are comparable). ``init`` (R, N) replaces the random
    initial weights (pSGD runs are normalised), e.g. to plant w = v.
    """
    device = torch.device(device)
    if cell.z not in ("integrated", "mc"):
        raise ValueError(f"unknown z {cell.z!r}; allowed: integrated, mc")
    for r in runs:
        if r.projection not in ("sphere", "none"):
            raise ValueError(f"unknown projection {r.projection!r}; allowed: sphere, none")
    # Contiguous groups: table-driven pSGD runs first, then one group per (projection, act).
    fast = cell.z == "integrated"
    order = sorted(range(len(runs)), key=lambda i: (
        not (fast and runs[i].projection == "sphere"), runs[i].projection, runs[i].activation))
    runs = [runs[i] for i in order]
    if init is not None:
        init = torch.as_tensor(init, dtype=torch.float32)[order]
    R, N, B = len(runs), cell.N, cell.batch
    n_fast = sum(fast and r.projection == "sphere" for r in runs) if fast else 0
    groups = []
    for i in range(n_fast, R):
        key = (runs[i].projection, runs[i].activation)
        if groups and groups[-1][0] == key:
            groups[-1][1].append(i)
        else:
            groups.append((key, [i]))
    groups = [(key, slice(ix[0], ix[-1] + 1)) for key, ix in groups]

    col = lambda xs: torch.tensor(xs, dtype=torch.float32, device=device)  # noqa: E731
    t = col([r.t for r in runs])
    beta_v = col([r.beta_v for r in runs])
    lr = col([r.lr for r in runs])
    dt = delta(t)
    c_p = lr * dt * torch.exp(-t) / B  # β_b = -c_p P_b
    sphere = col([r.projection == "sphere" for r in runs]).bool()

    w = torch.empty(R, N, device=device)
    for i, r in enumerate(runs):
        w0 = torch.randn(N, generator=streams.generator(r.seed, "mcm-init", N))
        w[i] = (w0 / w0.norm() * (1.0 if r.projection == "sphere" else cell.w_init_norm)).to(device)
        if init is not None:
            w[i] = init[i] / (init[i].norm() if r.projection == "sphere" else 1.0)
    uvm = [_spikes(cell, r) for r in runs]
    U, V = (torch.stack([s[k] for s in uvm]).to(device) for k in range(2))
    r2 = (w * w).sum(1)

    chunk = max(1, chunk_samples // B)
    data = _Data(cell, runs, chunk * B, device, noise=cell.z == "mc")
    coef = [r.lr * delta(r.t) * math.exp(-r.t) / B for r in runs[:n_fast]]
    tables = _Tables(cell, runs[:n_fast], coef, device) if n_fast else None
    evals = _eval_sets(cell, runs, device) if cell.eval_samples else None
    eval_groups = {}
    for i, r in enumerate(runs):
        eval_groups.setdefault(r.activation, []).append(i)
    eval_groups = {a: torch.tensor(ix, device=device) for a, ix in eval_groups.items()}

    alpha = torch.ones(R, device=device)
    beta = torch.zeros(R, B, device=device)
    lam = torch.empty(R, B, device=device)
    tmp = torch.empty(R, N, device=device)
    ones = torch.ones(n_fast, device=device)
    # Views used in the step (no per-step slicing of the run dimension for the fast rows).
    lam1, f_lam, f_beta, f_alpha = lam[:, 0], lam[:n_fast], beta[:n_fast], alpha[:n_fast]
    f_lam1, f_beta1, alpha_col = lam[:n_fast, 0], beta[:n_fast, 0], alpha.unsqueeze(1)
    rsbuf = torch.empty(n_fast, device=device)
    logged = set(log_steps(cell.steps, cell.log_points).tolist())
    records = []

    def record(step):
        norm = w.norm(dim=1)
        rec = {"step": step, "overlap_u": ((w * U).sum(1).abs() / norm),
               "overlap_v": ((w * V).sum(1).abs() / norm), "w_norm": norm}
        if evals is not None:
            for name, X in evals.items():
                loss = torch.empty(R, device=device)
                for act, ix in eval_groups.items():
                    loss[ix] = one_neuron.loss_integrated(
                        w[ix], X[ix], act, t[ix], beta_v[ix], cell.gh_order).mean(-1)
                rec[f"loss_{name}"] = loss
        records.append({k: (v.cpu().numpy() if torch.is_tensor(v) else v) for k, v in rec.items()})

    sgd_consts = {sl.start: _SteinSGD(act, t[sl], beta_v[sl], cell.gh_order)
                  for (proj, act), sl in groups if cell.z == "integrated"}

    def sgd_groups(x, sq, s):
        """α, β (and r²) for the groups that do not use the table."""
        for (proj, act), sl in groups:
            if cell.z == "mc":
                _mc_step(w, sl, x, data.z[:, s * B:(s + 1) * B], act, proj, t, beta_v, lr)
                continue
            r = r2[sl].sqrt()
            P, kappa = sgd_consts[sl.start](lam[sl], r)
            torch.mul(P, c_p[sl, None], out=beta[sl]).neg_()
            a = 1 - lr[sl] * dt[sl] * kappa
            alpha[sl] = a
            if B == 1:  # r² of α w + β x from λ and ‖x‖², no extra pass over w
                b, l0 = beta[sl, 0], lam[sl, 0]
                r2[sl] = a * a * r2[sl] + 2 * a * b * l0 + b * b * sq[sl]

    record(0)
    step = 0
    while step < cell.steps:
        data.refill()
        todo = min(chunk, cell.steps - step)
        check = bool((data.sqnorm[:n_fast].amax(1) > tables.L**2).any()) if n_fast else False
        if B == 1:
            xs = data.buf[:, :todo, :N].unbind(1)
            sqs = data.sqnorm[:, :todo].unbind(1)
            fsqs = data.sqnorm[:n_fast, :todo].unbind(1)
        for s in range(todo):
            if B == 1:
                x = xs[s]
                torch.mul(w, x, out=tmp)
                torch.sum(tmp, dim=1, out=lam1)
                if n_fast:
                    # pSGD: α = 1 - βλ, ‖α w + β x‖² = 1 + β² (‖x‖² - λ²).
                    tables(f_lam1, out=f_beta1, check=check)
                    torch.addcmul(ones, f_beta1, f_lam1, value=-1, out=f_alpha)
                    rs = torch.addcmul(fsqs[s], f_lam1, f_lam1, value=-1, out=rsbuf)
                    rs.mul_(f_beta1).mul_(f_beta1).add_(1).rsqrt_()
                    f_alpha.mul_(rs)
                    f_beta1.mul_(rs)
                if groups:
                    sgd_groups(x, sqs[s], s)
                w.mul_(alpha_col).addcmul_(x, beta)
            else:
                x = data.x(s * B, (s + 1) * B)
                torch.bmm(x, w.unsqueeze(-1), out=lam.unsqueeze(-1))
                if n_fast:
                    b = tables(f_lam, out=f_beta, check=check)
                    torch.sub(1, (b * f_lam).sum(1), out=f_alpha)
                if groups:
                    sgd_groups(x, None, s)
                w.mul_(alpha.unsqueeze(1)).add_(torch.bmm(beta.unsqueeze(1), x).squeeze(1))
                r2 = (w * w).sum(1)
                w.div_(torch.where(sphere, r2.sqrt(), 1.0).unsqueeze(1))
                r2 = torch.where(sphere, 1.0, r2)
            step += 1
            if step in logged:
                record(step)
        # Remove the float drift of the analytic norms once per chunk.
        torch.sum(w * w, dim=1, out=r2)
        w.div_(torch.where(sphere, r2.sqrt(), 1.0).unsqueeze(1))
        r2.masked_fill_(sphere, 1.0)

    return _table(cell, runs, records)


class _SteinSGD:
    """P and κ = (sqrt(Δ) Q̄ + Ḡ) / r of one_neuron._stein_terms for plain SGD at any r,
    with the per-group constants computed once (fewer torch ops per step)."""

    def __init__(self, act: str, t: torch.Tensor, beta_v: torch.Tensor, order: int):
        from ..core import activations
        from ..core.quadrature import gauss_hermite

        self.act, self.evaluate = act, activations.evaluate
        xi, om = gauss_hermite(order, t.dtype, t.device)
        self.xi, self.xi2m1, self.om = xi, xi * xi - 1, om
        self.t, self.beta_v = t.view(-1, 1, 1), beta_v.view(-1, 1, 1)
        self.decay = torch.exp(-self.t)
        self.sd = torch.sqrt(delta(self.t))
        if act == "sigma_star":
            ae, v = activations.spike_mixture(self.t, self.beta_v)
            self.lin, self.c, self.ae_v = 1 - 1 / v, ae / v, ae / v

    def _sigma(self, h):
        if self.act == "sigma_star":
            th = torch.tanh(self.ae_v * h)
            return torch.addcmul(self.c * th, h, self.lin), self.lin + self.c * self.c * (1 - th * th)
        return self.evaluate(self.act, h)

    def __call__(self, lam: torch.Tensor, r: torch.Tensor):
        """lam (Rg, B), r (Rg,) -> P (Rg, B) and κ (Rg,)."""
        r3 = r.view(-1, 1, 1)
        sdr = self.sd * r3
        h = torch.addcmul(self.decay * lam.unsqueeze(-1), sdr, self.xi)
        sig, dsig = self._sigma(h)
        r2 = r3 * r3
        base = 2 * (r2 * sig * dsig - sig - h * dsig)
        k = 2 * r3 / self.sd
        # Row-wise reductions (not matmul), so a run's rounding does not depend on R.
        P = ((base + k * self.xi * dsig) * self.om).sum(-1)
        Q = ((self.xi * base + k * self.xi2m1 * dsig) * self.om).sum(-1)
        G = (2 * r3 * (sig * sig + 2 * dsig) * self.om).sum(-1)
        kappa = (self.sd.view(-1) * Q.mean(1) + G.mean(1)) / r
        return P, kappa


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


def _table(cell: Cell, runs: list[Run], records: list[dict]) -> pd.DataFrame:
    R = len(runs)
    labels = pd.DataFrame([asdict(r) for r in runs])
    frames = []
    for rec in records:
        df = labels.copy()
        df.insert(0, "N", cell.N)
        df["batch"] = cell.batch
        df["step"] = rec["step"]
        df["n"] = rec["step"] * cell.batch
        for k, v in rec.items():
            if k != "step":
                df[k] = np.asarray(v, dtype=np.float64).reshape(R)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["seed", "activation", "projection", "latent", "correlated", "beta_u",
                            "beta_v", "t", "step"], kind="stable").reset_index(drop=True)


def table_error(cell: Cell, run: Run, points: int = 2001) -> float:
    """Largest |P_table - P_exact| / (1 + |P_exact|) over λ in [-L, L] (float32 table)."""
    tables = _Tables(cell, [run], [-1.0], torch.device("cpu"))
    L = table_range(cell, run)
    lam = torch.linspace(-L, L, points, dtype=torch.float64) * 0.999
    _, exact, _, _ = one_neuron._stein_terms(run.activation, lam, 1.0, run.t, run.beta_v, cell.gh_order)
    approx = tables(lam.float().view(1, -1)).double().view(-1)
    return float(((approx - exact).abs() / (1 + exact.abs())).max())
