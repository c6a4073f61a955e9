"""Each set of names (datasets, clones, linear targets, activations) is defined once, in its
domain package; the plan, the schema's enums and the rule files' wildcard constraints agree
with it."""

import re

from easy2hard.core import activation_names
from easy2hard.core import clones as core_clones
from easy2hard.fourier import clones as fourier_clones
from easy2hard.images import clones as image_clones
from easy2hard.images import datasets
from easy2hard.linear import targets as linear_targets
from easy2hard.pipeline import plan
from easy2hard.pipeline.config import load_schema

from .conftest import REPO


def _wildcards(name: str) -> list[set[str]]:
    """Every alternation the rule files constrain wildcard ``name`` to."""
    out = []
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        for alt in re.findall(rf'^\s+{name}="([A-Za-z0-9_|]+)"', smk.read_text(), flags=re.M):
            out.append(set(alt.split("|")))
    return out


def test_clone_names():
    assert set(image_clones.CLONES) == set(core_clones.CLONES) == set(plan.images.CLONES)
    assert set(fourier_clones.CLONES) == set(plan.images.FOURIER_CLONES)
    assert _wildcards("clone") == [set(core_clones.CLONES)]
    assert _wildcards("fclone") == [set(fourier_clones.CLONES)]
    schema = load_schema()["properties"]["fourier"]["properties"]["clones"]
    assert set(schema["items"]["enum"]) == set(fourier_clones.CLONES)


def test_dataset_names():
    schema = load_schema()["properties"]["datasets"]["properties"]["build"]
    assert schema["items"]["enum"] == list(datasets.DATASETS)
    found = _wildcards("dataset")
    assert found and all(alt == set(datasets.DATASETS) for alt in found)


def test_linear_target_names():
    schema = load_schema()["properties"]["linear"]["properties"]["targets"]
    assert schema["items"]["enum"] == list(linear_targets.TARGETS)
    found = _wildcards("target")
    assert found and all(alt == set(linear_targets.TARGETS) for alt in found)


def test_activation_names():
    assert load_schema()["$defs"]["activation"]["enum"] == list(activation_names.NAMES)
