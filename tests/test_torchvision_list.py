"""resources/torchvision_models.json (the app's "Import from torchvision…" list) is what trace finds."""

import json
import os

import pytest

from netbuilder.pytorch.trace import torchvision_models
from netbuilder.ui.canvas.palette import RESOURCES

LIST = RESOURCES / "torchvision_models.json"


@pytest.mark.slow
def test_the_shipped_list_is_every_model_that_imports_cleanly():
    found = [{"name": n, "input": list(s)} for n, s in torchvision_models()]
    if os.environ.get("NETBUILDER_UPDATE_GOLDEN"):
        LIST.write_text(json.dumps(found, indent=1) + "\n")
    assert json.loads(LIST.read_text()) == found
