"""The linear stage (see docs/science.md)."""
