"""What a U-Net run evaluated: its data and its model, in one row (``unet/{dataset}/{run}/
model.parquet``, rule ``unet_model``), so that the claims and the report name them and two
runs on different models are not confused.

Columns: dataset, run, kind (``paper``, ``diffusers`` or ``external``), n_parameters (of the
network at the last step), first_step, last_step, checkpoints, seeds, source (the training
job, or the external folder and its weights) and ``text``, the one-line description the
claims prefix to their reason.
"""

from __future__ import annotations

import pandas as pd

from . import external


def network(run_spec: dict, channels: int, steps: list[int]):
    """The run's network at its last step: external weights' config, or a fresh model of the
    configured kind (the parameter count does not depend on the weights)."""
    if run_spec.get("external", {}).get("path"):
        from diffusers import UNet2DModel
        import json

        folder = external.checkpoints(run_spec["external"])[steps[-1]]
        return UNet2DModel.from_config(json.loads((folder / "config.json").read_text()))
    from .training import build_model

    return build_model(run_spec["model"], channels)


def describe(dataset: str, run: str, run_spec: dict, channels: int, steps: list[int]) -> pd.DataFrame:
    """The one-row description table of run ``run``."""
    ext = run_spec.get("external", {})
    kind = "external" if ext.get("path") else run_spec["model"]["kind"]
    n = sum(p.numel() for p in network(run_spec, channels, steps).parameters())
    source = (f"{ext['path']} ({ext['weights']} weights)" if kind == "external"
              else "trained by the pipeline")
    count = f"{n:,}".replace(",", " ")
    text = (f"data {dataset}, run {run}: {kind} U-Net, {count} parameters, steps "
            f"{steps[0]}–{steps[-1]} ({len(steps)} checkpoints), {source}")
    return pd.DataFrame([{"dataset": dataset, "run": run, "kind": kind, "n_parameters": n,
                          "first_step": steps[0], "last_step": steps[-1],
                          "checkpoints": len(steps), "seeds": len(run_spec["seeds"]),
                          "source": source, "text": text}])
