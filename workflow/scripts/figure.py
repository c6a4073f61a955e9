"""Every figure rule (generated from the stages' figure registries): call the registered
drawing function on the inputs, save PDF and PNG atomically, log the data it drew."""

import importlib

from easy2hard.pipeline.plotting import log_drawn, save_figure, style
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
module, _, name = snakemake.params.draw.partition(":")  # noqa: F821
draw = getattr(importlib.import_module(module), name)
inputs = {key: list(paths) for key, paths in snakemake.input.items()}  # noqa: F821
style()
fig, drawn = draw(inputs, dict(snakemake.params.options))  # noqa: F821
save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
log_drawn(log, drawn)
