"""The fourier stage (see docs/science.md)."""
