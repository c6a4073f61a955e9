"""Job seconds per stage, read from a Snakemake log (scripts/stage_times.py)."""

from easy2hard.pipeline import plan
from easy2hard.pipeline.job_times import job_seconds, stage_of, stage_table

LOG = """\
[Wed Dec  2 02:41:00 2026]
localrule unet_train:
    jobid: 7
    wildcards: dataset=natural_patches
[Wed Dec  2 02:41:02 2026]
localrule figure_fig3a_width:
    jobid: 3
[Wed Dec  2 02:41:10 2026]
Finished jobid: 3 (Rule: figure_fig3a_width)
[Wed Dec  2 02:43:00 2026]
Finished jobid: 7 (Rule: unet_train)
[Wed Dec  2 02:43:01 2026]
localrule random_features_curve:
    jobid: 9
"""


def test_each_finished_job_has_its_wall_seconds():
    assert sorted(job_seconds(LOG.splitlines())) == [("figure_fig3a_width", 8.0),
                                                     ("unet_train", 120.0)]


def test_rules_map_to_their_stages():
    assert stage_of("figure_fig3a_width", plan.STAGES) == "networks"
    assert stage_of("random_features_curve", plan.STAGES) == "random_features"
    assert stage_of("clones_sample", plan.STAGES) == "images"
    assert stage_table(LOG.splitlines(), plan.STAGES) == {"images": (1, 120.0),
                                                          "networks": (1, 8.0)}
