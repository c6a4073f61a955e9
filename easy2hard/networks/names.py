"""Names of the network stage that planning needs, without the numerics (torch-free)."""

#: the lists of a sweep whose product is a cell's runs, in the runs' order (``cell.runs_of``)
RUN_GRID = ("activation", "t", "lr", "seeds")
