"""The fourier stage: amplitudes before phases (docs/science.md §12).

- ``spectra``:   amplitude and phase of real signals, Hermitian-symmetric random phases;
- ``clones``:    the Fourier clones of an image set (amplitude, phase, amplitude_swap);
- ``synthetic``: 1-D translation-invariant signals with a |k|^-α spectrum and sparse phases;
- ``training``:  lockstep online training of a denoiser on the synthetic model;
- ``analysis``:  phase-learning thresholds n* and how long a clone's loss tracks test.
"""
