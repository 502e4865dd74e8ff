"""An existing nn.Module → a NetBuilder network, through torch.fx: each layer and operation becomes a block.

Only what a block computes exactly is translated. Anything else refuses the whole import with one sentence
that lists the operations, rather than give a different network. An import is checked twice: every block's
shape against the shape torch.fx traced, and the built network's outputs against the module's own, with
the module's weights copied in.

The modules, in the order an import runs them: sources (the module a source names), tracing (torch.fx, with
every value's shape), patterns (operations exact only together), translation (each node as a block; the whole
import), weights (where each tensor comes from, the output check, parameters left out), grouping (groups from
the module hierarchy), refusals (the errors and the sentence). operations holds the words they read a graph with.
"""

from netbuilder.pytorch.trace.refusals import MissingPackage, ModelImportError
from netbuilder.pytorch.trace.sources import (
    import_model,
    load_source,
    torchvision_input,
    torchvision_models,
    torchvision_names,
)
from netbuilder.pytorch.trace.translation import MAX_INPUTS, OPERATIONS, import_module, translate
from netbuilder.pytorch.trace.weights import Imported, LeftOut, Weight

__all__ = [
    "MAX_INPUTS",
    "OPERATIONS",
    "Imported",
    "LeftOut",
    "MissingPackage",
    "ModelImportError",
    "Weight",
    "import_model",
    "import_module",
    "load_source",
    "torchvision_input",
    "torchvision_models",
    "torchvision_names",
    "translate",
]
