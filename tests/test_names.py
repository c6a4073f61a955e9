"""Each set of names (datasets, clones, linear targets, activations) is defined once, in its
domain package; the plan, the schema's enums and the workflow's wildcard constraints (read
from the parsed workflow, so wherever a constraint is declared) agree with it."""

import re

import pytest

from easy2hard.core import activation_names
from easy2hard.core import clones as core_clones
from easy2hard.fourier import clones as fourier_clones
from easy2hard.images import clones as image_clones
from easy2hard.images import datasets
from easy2hard.linear import targets as linear_targets
from easy2hard.pipeline import plan
from easy2hard.pipeline.config import load_schema

from .conftest import output_patterns


@pytest.fixture(scope="module")
def constraints(tmp_path_factory) -> dict[str, list[set[str]]]:
    """{wildcard: the alternation it is constrained to, once per rule output} of the parsed
    workflow (default config)."""
    out: dict[str, list[set[str]]] = {}
    for patterns in output_patterns(tmp_path_factory.mktemp("workflow")).values():
        for pattern in patterns:
            for name, alt in re.findall(r"\(\?P<(\w+)>([^()]*)\)", pattern):
                out.setdefault(name, []).append(set(alt.split("|")))
    return out


def _only(found: list[set[str]], names) -> bool:
    return bool(found) and all(alt == set(names) for alt in found)


def test_clone_names(constraints):
    assert set(image_clones.CLONES) == set(core_clones.CLONES) == set(plan.images.CLONES)
    assert set(fourier_clones.CLONES) == set(plan.images.FOURIER_CLONES)
    assert _only(constraints["clone"], core_clones.CLONES)
    assert _only(constraints["fclone"], fourier_clones.CLONES)
    schema = load_schema()["properties"]["fourier"]["properties"]["clones"]
    assert set(schema["items"]["enum"]) == set(fourier_clones.CLONES)


def test_dataset_names(constraints):
    """The built-in names are the plan's; the config's folder datasets join them
    (tests/test_folder_dataset.py), so the schema admits any name and the plan checks it."""
    schema = load_schema()["properties"]["datasets"]["properties"]["build"]
    assert all(name in schema["description"] for name in datasets.DATASETS)
    assert _only(constraints["dataset"], datasets.DATASETS)


def test_linear_target_names(constraints):
    schema = load_schema()["properties"]["linear"]["properties"]["targets"]
    assert schema["items"]["enum"] == list(linear_targets.TARGETS)
    assert _only(constraints["target"], linear_targets.TARGETS)


def test_activation_names(constraints):
    schema = load_schema()
    assert schema["$defs"]["activation"]["enum"] == list(activation_names.NAMES)
    rf = schema["properties"]["random_features"]["properties"]
    used = rf["activation"]["enum"] + rf["phase"]["properties"]["activations"]["items"]["enum"]
    assert set(used) <= set(activation_names.NAMES)
    assert _only(constraints["activation"], activation_names.NAMES)


def test_random_features_curve_names(constraints):
    assert set(plan.random_features.CURVES) == set(
        load_schema()["properties"]["random_features"]["properties"]["curves"]["properties"])
    assert _only(constraints["curve"], plan.random_features.CURVES)
