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
from easy2hard.core import mcm_model
from easy2hard.linear import names as linear_names
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
    lin = load_schema()["properties"]["linear"]["properties"]
    refs = [lin["targets"]["items"], lin["trained"]["properties"]["targets"]["items"],
            lin["figures"]["properties"]["regularisation"]["properties"]["target"]]
    assert all(ref["$ref"] == "#/$defs/linear_target" for ref in refs)
    assert _only(constraints["target"], linear_targets.TARGETS)


#: each enum of the schema's ``$defs`` -> the domain constant it spells out
DEFS_ENUMS = {"activation": activation_names.NAMES, "latent_law": mcm_model.LATENTS,
              "linear_target": linear_names.TARGETS}


def _enums(node, path=()):
    """(path, enum) of every ``enum`` in a schema subtree."""
    if isinstance(node, dict):
        if "enum" in node:
            yield path, node["enum"]
        for key, value in node.items():
            yield from _enums(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _enums(value, (*path, i))


def test_every_defs_enum_is_its_domain_constant():
    """A name list the schema uses is one ``$defs`` entry equal to its domain constant (a new
    ``$defs`` enum is added to DEFS_ENUMS with its constant)."""
    defs = load_schema()["$defs"]
    enums = {name: spec["enum"] for name, spec in defs.items() if "enum" in spec}
    assert set(enums) == set(DEFS_ENUMS)
    assert {name: enum for name, enum in enums.items() if enum != list(DEFS_ENUMS[name])} == {}


def test_no_name_list_is_copied_outside_defs():
    """Every use of these name lists refers to ``$defs`` (``$ref``): no copy of one of them as
    an enum elsewhere in the schema."""
    schema = load_schema()
    outside = {k: v for k, v in schema.items() if k != "$defs"}
    lists = {tuple(sorted(names)) for names in DEFS_ENUMS.values()}
    copies = [".".join(map(str, path)) for path, enum in _enums(outside)
              if tuple(sorted(enum)) in lists]
    copies += [f"$defs.{name}.{'.'.join(map(str, path))}" for name, spec in schema["$defs"].items()
               for path, enum in _enums({k: v for k, v in spec.items() if k != "enum"})
               if tuple(sorted(enum)) in lists]
    assert not copies


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
