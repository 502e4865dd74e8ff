"""NetBuilder: design neural networks as blocks, check every volume live, run them in PyTorch."""

__version__ = "0.1.0"
