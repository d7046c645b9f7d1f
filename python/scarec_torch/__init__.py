"""scarec_torch: run a scarec placement plan's embedding stage in PyTorch (CPU, CUDA, torchrun with gloo/NCCL).

Reads the scenario and plan JSON formats of scarec as they are (README "Formats"). Importing the package
needs torch; `python3 -m scarec_torch` says so in one line and exits 4 when torch is missing.
"""
