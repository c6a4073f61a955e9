"""The random_features stage (see docs/science.md)."""
