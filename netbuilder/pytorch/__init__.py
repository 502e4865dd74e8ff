"""The bridge to PyTorch: build nn.Modules from graphs."""
