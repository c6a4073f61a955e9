"""Plan of the multipatch stage (docs/science.md §11): diffusion against classification.

Paths, under ``results``:
  multipatch/synthetic/{classification,diffusion}.parquet   alignments per run and logged step
  multipatch/synthetic/diffusion_losses.parquet             DDPM loss on data, test, clones
  multipatch/synthetic/{steps,runs,fits}.parquet            phase labels, per-run summary, fits
  multipatch/literal/diffusion.parquet                      the paper's literal setting (sum loss)
  multipatch/digits/{alignment,maps}.parquet                Noisy-digits dynamics and maps
  figures/multipatch_{alignment,phases,width,clones,digits,digits_sweep}.{pdf,png}
"""

from __future__ import annotations

from ...multipatch.grid import digit_runs, literal_spec as literal_grid, run_keys
from ..unit_costs import unit
from .common import figure_files, fill, path, per_job, pick, without
from .stage import Claim, Cost, Figure, Job, Stage

OBJECTIVES = ("classification", "diffusion")
ANALYSIS = ("steps", "runs", "fits")
CATEGORY = "Diffusion vs classification"

#: the stage's files (templates under the results root): a table of the synthetic grids
#: (each objective's alignments, the denoiser's clone losses, the phases job's tables), the
#: literal setting's table, a Noisy-digits table
SYNTHETIC = "multipatch/synthetic/{table}.parquet"
LITERAL = "multipatch/literal/diffusion.parquet"
DIGITS = "multipatch/digits/{table}.parquet"
DIGITS_TABLES = ("alignment", "maps")


def synthetic_tables(results: str) -> list[str]:
    return [path(results, SYNTHETIC, table=o) for o in OBJECTIVES]


def analysis_tables(results: str) -> dict[str, str]:
    return {name: path(results, SYNTHETIC, table=name) for name in ANALYSIS}


def losses_table(results: str) -> str:
    return path(results, SYNTHETIC, table="diffusion_losses")


def literal_table(results: str) -> str:
    return path(results, LITERAL)


def literal_spec(cfg: dict) -> dict:
    """The literal setting's job: the synthetic data and network (not the grids) and its block."""
    spec = without(synthetic_spec(cfg, "diffusion"), "n_snr2", "seeds", "width", "sparse")
    return {"spec": spec, "literal": cfg["multipatch"]["literal"]}


def digits_tables(results: str) -> dict[str, str]:
    return {name: path(results, DIGITS, table=name) for name in DIGITS_TABLES}


def synthetic_spec(cfg: dict, objective: str) -> dict:
    """What one objective's synthetic table depends on: the data, the network, the grids (one
    job), and that objective's own settings only."""
    spec = without(cfg["multipatch"]["synthetic"], *OBJECTIVES)
    spec[objective] = cfg["multipatch"]["synthetic"][objective]
    return spec


def analysis_params(cfg: dict) -> dict:
    """The phase and fit settings, and which runs form the n·SNR² and width grids."""
    syn = cfg["multipatch"]["synthetic"]
    grid = {"m": syn["m"], "width_n_snr2": syn["width"]["n_snr2"],
            "exponents": {o: syn[o]["width_exponents"] for o in OBJECTIVES}}
    return {"analysis": cfg["multipatch"]["analysis"], "grid": grid}


def digits_spec(cfg: dict) -> dict:
    """The digits block, with the download folder of ``datasets.root``."""
    return {**cfg["multipatch"]["digits"], "root": cfg["datasets"]["root"]}


def targets(cfg: dict, results: str) -> list[str]:
    """The stage's tables and figures (only called when ``multipatch.enabled``)."""
    out = synthetic_tables(results) + [losses_table(results), literal_table(results)]
    out += list(analysis_tables(results).values())
    out += list(digits_tables(results).values())
    return out + [f for fig in STAGE.figures for f in figure_files(results, fig.name)]


def check(cfg: dict) -> list[str]:
    """The figures' SNRs are computed; d has room for two class vectors per signal patch;
    the digits' class labels differ and enough test images are shown."""
    mp, out = cfg["multipatch"], []
    syn, dig = mp["synthetic"], mp["digits"]
    for key, shown, have in (("alignment_snr", mp["figures"]["alignment_snr"], syn["n_snr2"]),
                             ("maps_snr_scale", mp["figures"]["maps_snr_scale"], dig["snr_scale"])):
        missing = [q for q in shown if q not in have]
        if missing:
            out.append(f"config key 'multipatch.figures.{key}': {missing} not computed; allowed: values of {have}")
    if syn["d"] < 2 * len(syn["signal_scales"]):
        out.append(f"config key 'multipatch.synthetic.d': d = {syn['d']} < 2 x "
                   f"{len(syn['signal_scales'])} signal patches; allowed: d >= {2 * len(syn['signal_scales'])}")
    if dig["classes"][0] == dig["classes"][1]:
        out.append(f"config key 'multipatch.digits.classes': {dig['classes']} names one digit "
                   f"twice; allowed: two different digits 0-9")
    if dig["n_show"] > 2 * dig["n_test"]:
        out.append(f"config key 'multipatch.digits.n_show': {dig['n_show']} images shown but "
                   f"{2 * dig['n_test']} test images; allowed: n_show <= 2 * n_test")
    return out


def _analysis(*names: str):
    return lambda cfg, results: {n: [analysis_tables(results)[n]] for n in names}


def _figure_keys(*keys: str):
    return lambda cfg: pick(cfg["multipatch"]["figures"], *keys)


def synthetic_params(objective: str):
    """The params of one objective's synthetic rule."""
    return lambda cfg: {"spec": lambda wildcards: synthetic_spec(cfg, objective),
                        "objective": objective}


STEP_UNITS = {o: f"multipatch_{o}_step" for o in OBJECTIVES}


def training_work(spec: dict, objective: str) -> tuple[int, int]:
    """(runs, steps) of one objective's lockstep training of the synthetic spec ``spec``."""
    return len(run_keys(spec, objective)), spec[objective]["steps"]


def literal_settings(cfg: dict) -> dict:
    """The synthetic spec the literal job trains (``synthetic.run_literal`` of its params)."""
    settings = literal_spec(cfg)
    return literal_grid(settings["spec"], settings["literal"])


def _training_cost(spec: dict, objective: str, key: str) -> Cost:
    """runs x steps of one objective's lockstep training (``spec``: a synthetic spec)."""
    runs, steps = training_work(spec, objective)
    return Cost(runs * steps * unit(STEP_UNITS[objective]) + unit("torch_start"), key,
                f"{runs} runs x {steps} steps")


def synthetic_cost(objective: str):
    return lambda cfg: _training_cost(synthetic_spec(cfg, objective), objective,
                                      f"multipatch.synthetic.{objective}")


def literal_cost(cfg: dict) -> Cost:
    """An upper bound: descent stops once every run has diverged (the default's do within
    a few dozen steps), which the plan cannot know."""
    c = _training_cost(literal_settings(cfg), "diffusion", "multipatch.literal")
    return Cost(c.seconds, c.key, c.work + ", fewer if every run diverges")


def digits_cost(cfg: dict) -> Cost:
    """Both objectives' steps for every seed x SNR~ run."""
    spec = cfg["multipatch"]["digits"]
    runs = len(digit_runs(spec))
    seconds = sum(runs * spec[o]["steps"] * unit(STEP_UNITS[o]) for o in OBJECTIVES)
    return Cost(seconds + unit("torch_start"), "multipatch.digits",
                f"{runs} runs x {'+'.join(str(spec[o]['steps']) for o in OBJECTIVES)} steps")


def phases_cost(cfg: dict) -> Cost:
    n = cfg["multipatch"]["analysis"]["bootstrap"]
    return Cost(n * unit("multipatch_bootstrap"), "multipatch.analysis.bootstrap",
                f"{n} bootstrap resamples")


JOBS = {
    "multipatch_classification": Job(
        outputs={"table": fill(SYNTHETIC, table="classification")},
        params=synthetic_params("classification"), cost=synthetic_cost("classification")),
    "multipatch_diffusion": Job(
        outputs={"table": fill(SYNTHETIC, table="diffusion"),
                 "losses": fill(SYNTHETIC, table="diffusion_losses")},
        params=synthetic_params("diffusion"), cost=synthetic_cost("diffusion")),
    "multipatch_literal": Job(
        outputs={"table": LITERAL}, cost=literal_cost,
        params=lambda cfg: {"settings": per_job(literal_spec, cfg)}),
    "multipatch_phases": Job(
        outputs={name: fill(SYNTHETIC, table=name) for name in ANALYSIS}, cost=phases_cost,
        inputs=lambda cfg, results: {"tables": synthetic_tables(results),
                                     "losses": losses_table(results)},
        params=lambda cfg: {"settings": per_job(analysis_params, cfg)}),
    "multipatch_digits": Job(
        outputs={name: fill(DIGITS, table=name) for name in DIGITS_TABLES}, cost=digits_cost,
        params=lambda cfg: {"spec": per_job(digits_spec, cfg)}),
}


def claim_settings(cfg: dict) -> dict:
    """The n·SNR² grid (its width and each objective's first width exponent) and the claims'
    thresholds: growth ends at ``analysis.growth_factors`` × the initial signal alignment (10×,
    checked at 3×); slopes within ±0.2 of 1; the switch within a decade of n·SNR² = 1; a run
    is stationary once its loss moved by less than ``analysis.loss_fraction`` of its total
    drop over its last logged interval."""
    grid, analysis = analysis_params(cfg)["grid"], cfg["multipatch"]["analysis"]
    factor, check = analysis["growth_factors"]
    return {"m": grid["m"], "exponents": {o: e[0] for o, e in grid["exponents"].items()},
            "growth_factor": factor, "growth_factor_check": check, "tolerance": 0.2,
            "switch_decade": 10.0, "loss_fraction": analysis["loss_fraction"]}


def _claim_tables(*names: str):
    return lambda cfg, results: {n: [analysis_tables(results)[n]] for n in names}


def _literal_inputs(cfg: dict, results: str) -> dict:
    return {"literal": [literal_table(results)], "runs": [analysis_tables(results)["runs"]]}


def _paper_flow(cfg: dict) -> float:
    """The paper's stated end of training as a flow time of the mean loss: η × steps."""
    literal = cfg["multipatch"]["literal"]
    return literal["lr"] * literal["steps"]


CLAIMS = (
    Claim(id="multipatch.growth_law",
          statement="During the diffusion network's first (growth) stage the ratio of its "
                    "signal to noise alignment scales as Θ(n·SNR²).",
          source="Han et al. (2025), Theorem 3.1; docs/science.md §11",
          prediction="per-seed slope of ln ratio on ln n·SNR² at the end of growth (first step "
                     "with max_r |⟨w_r, μ⟩| ≥ 10× its initial value) inside [0.8, 1.2], also at "
                     "3× (stability to the definition)",
          control="random filters: the slope at initialisation (≈ 0.5, since ⟨w, μ⟩ ∝ ‖μ‖)",
          calibration="the signal alignment grows 10× in every seed at ≥ 3 n·SNR²",
          evaluate="easy2hard.multipatch.claims:growth_law", inputs=_claim_tables("steps"),
          params=claim_settings, figure="multipatch_alignment"),
    Claim(id="multipatch.stationary_state",
          statement="The diffusion network reaches a stationary state in which the signal/noise "
                    "alignment ratio is ∝ n·SNR².",
          source="Han et al. (2025), Theorem 3.1 and Fig. 2",
          prediction="per-seed slope of the converged runs' final ratio on n·SNR² inside [0.8, 1.2]",
          control="the noise-memorising collapse: the final test loss above the zero "
                  "predictor's 1 (seed mean of test loss − 1)",
          calibration="every seed converged (loss within 1 % of its end value) at ≥ 3 n·SNR²",
          evaluate="easy2hard.multipatch.claims:stationary_state", inputs=_claim_tables("runs"),
          params=claim_settings, figure="multipatch_phases"),
    Claim(id="multipatch.literal_setting",
          statement="In the paper's literal setting (DDPM loss summed over coordinates, η = 0.5, "
                    "40 000 steps, d = 1000, n = 30, m = 20, σ₀ = 0.001) the diffusion network "
                    "reaches a stationary state with signal/noise ratio ∝ n·SNR².",
          source="Han et al. (2025), §5.1 and Fig. 2; docs/science.md §11.3",
          prediction="every run's loss finite and stationary at the last step, and the per-seed "
                     "slope of ln final ratio on ln n·SNR² (0.75 to 6.75) inside [0.8, 1.2]",
          control="the same runs' ratio at initialisation (slope ≈ 0.5)",
          calibration="the same data, network and start under the mean reading (the synthetic "
                      "grid's runs over this n·SNR² range) converge in every seed",
          evaluate="easy2hard.multipatch.claims:literal_setting", inputs=_literal_inputs,
          params=claim_settings),
    Claim(id="multipatch.classifier_switch",
          statement="The classifier learns the noise at small n·SNR² and the signal at large: "
                    "its final signal/noise ratio crosses 1 at n·SNR² = Θ(1).",
          source="Han et al. (2025), Theorem 3.2; docs/stages/multipatch.md",
          prediction="per-seed n·SNR² where the last-step ratio crosses 1, interval inside "
                     "[0.1, 10]",
          control="the ratio of the random initial filters: where it crosses 1 (it grows "
                  "with ‖μ‖ alone)",
          calibration="at least half the classifier runs reach training loss 0.1",
          evaluate="easy2hard.multipatch.claims:classifier_switch",
          inputs=_claim_tables("steps", "runs"), params=claim_settings,
          figure="multipatch_phases"),
)

STAGE = Stage(
    name="multipatch", targets=targets, check=check, jobs=JOBS, claims=CLAIMS,
    figures=(
        Figure("multipatch_alignment", "easy2hard.multipatch.plots:alignment", _analysis("steps"),
               category=CATEGORY,
               params=lambda cfg: {**analysis_params(cfg)["grid"], **_figure_keys("alignment_snr")(cfg)}),
        Figure("multipatch_phases", "easy2hard.multipatch.plots:phases", _analysis("runs", "fits"),
               category=CATEGORY, params=lambda cfg: {**analysis_params(cfg)["grid"],
                                                      "paper_flow": _paper_flow(cfg)}),
        Figure("multipatch_width", "easy2hard.multipatch.plots:width", _analysis("runs", "fits"),
               category=CATEGORY, params=lambda cfg: analysis_params(cfg)["grid"]),
        Figure("multipatch_clones", "easy2hard.multipatch.plots:clones",
               lambda cfg, results: {"losses": [losses_table(results)]}, category=CATEGORY,
               params=lambda cfg: {**analysis_params(cfg)["grid"], **_figure_keys("alignment_snr")(cfg),
                                   "sparse": cfg["multipatch"]["synthetic"]["sparse"]}),
        Figure("multipatch_digits", "easy2hard.multipatch.plots:digits",
               lambda cfg, results: {k: [v] for k, v in digits_tables(results).items()},
               category=CATEGORY, params=_figure_keys("maps_snr_scale")),
        Figure("multipatch_digits_sweep", "easy2hard.multipatch.plots:digits_sweep",
               lambda cfg, results: {"alignment": [digits_tables(results)["alignment"]]}, category=CATEGORY),
    ),
)
