"""The multipatch stage (see docs/science.md)."""
