"""The bridge to PyTorch: build nn.Modules from graphs, export them, import nn.Modules as graphs."""

FORMATS = ("py", "onnx", "torchscript")  # what export.export writes; here, so the CLI lists them without torch
