"""config/README.md is generated from the schema and kept up to date."""

from easy2hard.pipeline import config_reference
from easy2hard.pipeline.config import load_schema

from .conftest import REPO


def test_config_readme_is_up_to_date():
    """Regenerate with: python -m easy2hard.pipeline.config_reference > config/README.md"""
    assert (REPO / "config" / "README.md").read_text() == config_reference.render()


def test_every_schema_key_has_a_row_with_its_default():
    """A key added to the schema appears with its type and default (a changed default changes
    the file, so the test above fails until it is regenerated)."""
    schema = load_schema()
    schema["properties"]["zz_probe"] = {"description": "probe key", "type": "integer",
                                        "minimum": 2, "default": 7}
    text = config_reference.render(schema)
    assert "| `zz_probe` | integer | 7 | ≥ 2 | probe key |" in text
    for key in schema["properties"]:
        assert f"| `{key}` |" in text
