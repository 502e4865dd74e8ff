"""Benchmark: what starting from learned weights buys, measured on real handwriting (issue 22 §4).

(a) digits_cnn is pretrained on digits 0–4 (all their training images), then trained on digits 5–9 with 10
images per class: from scratch, from the 0–4 weights with the body frozen (only the new head trains), and with
fine_tune (the head alone first, then every block, earlier ones slower). Test accuracy on the whole 5–9 test
split, mean and spread over seeds.
(b) torchvision's resnet18 with weights from a local file (this machine is offline: the file holds seeded random
weights in torchvision's layout, standing in for a download), its head replaced for 10 classes and its body
frozen, trained one epoch on digits resized to 3×32×32: it runs end to end and the frozen parameters come out
bit-identical.

Prints one JSON object (not a test). `--quick`: 2 seeds and fewer epochs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from netbuilder.cli import main as netbuilder
from netbuilder.core.document import Document, dumps, load, parse
from netbuilder.core.presets import load_preset
from netbuilder.pytorch.build import build
from netbuilder.pytorch.init_weights import load_into
from netbuilder.records.config import recommend
from netbuilder.records.events import Finished
from netbuilder.records.runs import Run
from netbuilder.train import checkpoints
from netbuilder.train.job import execute

SOURCE, TARGET = "0,1,2,3,4", "5,6,7,8,9"


def digits_net(head: str) -> Document:
    """digits_cnn with a 5-class head named `head`: a new id is a new layer, which starts fresh."""
    raw = json.loads(dumps(load_preset("digits_cnn")))
    for node in raw["nodes"]:
        if node["id"] == "fc1":
            node["id"], node["params"]["out_features"] = head, 5
    for edge in raw["edges"]:
        edge["to"] = head if edge["to"] == "fc1" else edge["to"]
    return parse(json.dumps(raw))


def trained(doc: Document, out: Path, **settings) -> float:
    """The test accuracy of one run of doc on digits with its recipe and these settings."""
    last = execute(doc, recommend(doc.graph, "digits").replace(dataset="digits", **settings), out)
    assert isinstance(last, Finished) and last.test_accuracy is not None, last
    return last.test_accuracy


def transfer(seed: int, epochs: int, folder: Path) -> dict[str, float]:
    """(a) for one seed: the 0–4 network, then 5–9 from 10 images a class three ways."""
    pretrained = trained(digits_net("fc_0to4"), folder / f"pre{seed}", classes=SOURCE, seed=seed, epochs=epochs)
    weights = Run.open(folder / f"pre{seed}").initial_weights()
    target = {"classes": TARGET, "per_class": 10, "seed": seed, "epochs": epochs}
    scratch = trained(digits_net("fc_5to9"), folder / f"scratch{seed}", **target)
    frozen_body = digits_net("fc_5to9")
    frozen_body.init = weights
    frozen_body.graph.set_learning("conv1", True, None)
    frozen = trained(frozen_body, folder / f"frozen{seed}", fine_tune="off", **target)
    tuned_net = digits_net("fc_5to9")
    tuned_net.init = weights
    tuned = trained(tuned_net, folder / f"tuned{seed}", fine_tune="on", head_epochs=max(1, epochs // 4), **target)
    return {"pretrained_on_0to4": pretrained, "scratch": scratch, "frozen_body": frozen, "fine_tune": tuned}


def resnet18_frozen(folder: Path) -> dict:
    """(b): resnet18 from a local weights file, a new 10-class head, the body frozen, one epoch of digits."""
    import torchvision

    torch.manual_seed(0)
    weights = folder / "resnet18.pth"
    torch.save(torchvision.models.resnet18().state_dict(), weights)
    imported = folder / "resnet18.json"
    argv = [
        "import-model",
        "torchvision:resnet18",
        "--input",
        "3,32,32",
        "--weights",
        str(weights),
        "-o",
        str(imported),
    ]
    assert netbuilder(argv) == 0
    doc = load(imported)
    head = next(nid for nid in reversed(list(doc.graph.nodes)) if doc.graph.nodes[nid].type == "Linear")
    doc.graph.nodes[head].params["out_features"] = 10  # the head for 10 digits: it starts fresh
    for nid in doc.graph.nodes:
        doc.graph.set_learning(nid, nid != head, None)
    start_net = build(doc.graph)
    report = load_into(start_net, doc.init)
    before = {k: v.clone() for k, v in start_net.state_dict().items()}
    config = recommend(doc.graph, "digits").replace(
        dataset="digits", resize=True, epochs=1, batch_size=64, fine_tune="off", precision="fp32"
    )
    start = time.perf_counter()
    last = execute(doc, config, folder / "resnet18-run")
    seconds = time.perf_counter() - start
    assert isinstance(last, Finished), last
    after = checkpoints.load(Run.open(folder / "resnet18-run"), "last")["model"]
    head_name = start_net.names[head]
    frozen_keys = [k for k in before if k.split(".")[1] != head_name]
    return {
        "blocks_from_the_file": len(report.loaded),
        "starting_fresh": report.fresh,
        "seconds": round(seconds, 1),
        "test_accuracy_after_one_epoch": round(last.test_accuracy or 0.0, 4),
        "frozen_tensors": len(frozen_keys),
        "frozen_tensors_changed": sum(not torch.equal(before[k], after[k]) for k in frozen_keys),
        "head_changed": any(not torch.equal(before[k], after[k]) for k in before if k.split(".")[1] == head_name),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds and 30 epochs")
    parser.add_argument("--seeds", type=int, default=5, help="seeds of (a) (default 5)")
    args = parser.parse_args()
    seeds = list(range(2 if args.quick else args.seeds))
    epochs = 30 if args.quick else 100
    out: dict = {"epochs": epochs, "seeds": seeds}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs = [transfer(seed, epochs, folder) for seed in seeds]
        for name in runs[0]:
            values = [r[name] for r in runs]
            out[name] = {
                "mean": round(statistics.mean(values), 4),
                "stdev": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
                "each": [round(v, 4) for v in values],
            }
        out["resnet18_frozen_body"] = resnet18_frozen(folder)
    out["seconds"] = round(time.perf_counter() - started)
    print(json.dumps(out, indent=2))
    frozen = out["resnet18_frozen_body"]
    sys.exit(0 if frozen["frozen_tensors_changed"] == 0 and frozen["head_changed"] else 1)


if __name__ == "__main__":
    main()
