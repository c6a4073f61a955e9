#!/usr/bin/env python
"""Job seconds per stage of one Snakemake run, as a Markdown table:

    python scripts/stage_times.py .snakemake/log/<run>.snakemake.log
"""

import sys

from easy2hard.pipeline import plan
from easy2hard.pipeline.job_times import stage_table

with open(sys.argv[1]) as log:
    table = stage_table(log, plan.STAGES)
print("| stage | jobs | job seconds |\n|---|---|---|")
for stage, (jobs, seconds) in table.items():
    print(f"| {stage} | {jobs} | {seconds:.0f} |")
print(f"| total | {sum(n for n, _ in table.values())} | {sum(s for _, s in table.values()):.0f} |")
