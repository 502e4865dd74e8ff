"""Graph → the source of a standalone train.py for model.py: plain torch and torchvision, one process or many
under torchrun (DistributedDataParallel)."""

from __future__ import annotations

from string import Template

from netbuilder.core.graph import Graph
from netbuilder.core.learning import lr_mults
from netbuilder.pytorch.build import checked
from netbuilder.pytorch.codegen import module_paths

# The images behind a vector Input: MNIST's or CIFAR-10's where the sizes agree, else a row of pixels.
_IMAGES_OF_VECTOR = {784: (1, 28, 28), 3072: (3, 32, 32)}


class TrainScriptError(Exception):
    """The network cannot be trained by train.py; the message says why."""


_TEMPLATE = Template('''\
"""Train $class_name of $module.py with plain PyTorch and torchvision.

One process (a GPU when there is one, else the CPU):
    python train.py --dataset $dataset --data-dir data --download

Several processes on one machine, e.g. one per GPU:
    torchrun --nproc_per_node=4 train.py --dataset $dataset --data-dir data

Several machines: the same with torchrun's --nnodes, --node_rank and
--rdzv_endpoint. A quick check of the setup that needs no dataset:
    torchrun --nproc_per_node=2 train.py --fake-data --steps 1

Each process trains on its own share of every epoch (DistributedSampler)
and DistributedDataParallel averages the gradients: NCCL on CUDA, gloo on
the CPU. Process 0 tests the model after every epoch and saves its weights
(a state_dict) to --out; load them with
    model.load_state_dict(torch.load("trained.pt", weights_only=True))
"""

import argparse
import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from torchvision import datasets, transforms

from $module import $class_name

INPUT_SHAPE = $input_shape  # what $class_name takes, without the batch
IMAGE_SHAPE = $image_shape  # channels, height and width of the images
NUM_CLASSES = $num_classes  # the size of $class_name's output
# Frozen layers: their parameters are not trained, and they stay in eval mode
# (a frozen BatchNorm keeps its running statistics, as Keras does).
FROZEN = $frozen
# Learning-rate multipliers by layer; the other layers train at --lr.
LR_MULT = $lr_mult
# name: (torchvision class, channels of its images, mirror images too)
DATASETS = {
    "cifar10": (datasets.CIFAR10, 3, True),
    "mnist": (datasets.MNIST, 1, False),
    "fashion_mnist": (datasets.FashionMNIST, 1, True),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train $class_name.")
    add = parser.add_argument
    add("--dataset", choices=[*DATASETS, "folder"], default="$dataset",
        help="folder: --data-dir holds train/ and val/, one folder a class")
    add("--data-dir", default="data", help="where the dataset is")
    add("--download", action="store_true", help="download it if missing")
    add("--fake-data", action="store_true",
        help="random images (torchvision FakeData) instead of a dataset")
    add("--epochs", type=int, default=10)
    add("--steps", type=int, default=0,
        help="stop after this many steps (0: run every epoch)")
    add("--batch-size", type=int, default=128, help="images per process")
    add("--lr", type=float, default=0.05, help="SGD learning rate")
    add("--momentum", type=float, default=0.9)
    add("--weight-decay", type=float, default=5e-4)
    add("--workers", type=int, default=2, help="DataLoader processes")
    add("--weights", help="start from these weights: a state_dict file "
        "(.pt, or .safetensors with the safetensors package)")
    add("--out", default="trained.pt", help="where to save the weights")
    add("--seed", type=int, default=0)
    return parser.parse_args()


def image_transform(channels: int, train: bool,
                    mirror: bool) -> transforms.Compose:
    """Images of IMAGE_SHAPE as tensors in [-1, 1], flat for a vector."""
    c, h, w = IMAGE_SHAPE
    steps = [] if channels == c else [transforms.Grayscale(c)]
    steps.append(transforms.Resize((h, w)))
    if train and mirror:
        steps.append(transforms.RandomHorizontalFlip())
    steps.append(transforms.ToTensor())
    steps.append(transforms.Normalize([0.5] * c, [0.5] * c))
    if len(INPUT_SHAPE) == 1:
        steps.append(transforms.Lambda(torch.flatten))
    return transforms.Compose(steps)


def load_data(args: argparse.Namespace) -> tuple[Dataset, Dataset]:
    """The training and test sets."""
    if args.fake_data:
        fake = image_transform(IMAGE_SHAPE[0], False, False)
        return (
            datasets.FakeData(512, IMAGE_SHAPE, NUM_CLASSES, fake),
            datasets.FakeData(128, IMAGE_SHAPE, NUM_CLASSES, fake,
                              random_offset=512),
        )
    if args.dataset == "folder":
        return (
            datasets.ImageFolder(os.path.join(args.data_dir, "train"),
                                 image_transform(3, True, True)),
            datasets.ImageFolder(os.path.join(args.data_dir, "val"),
                                 image_transform(3, False, True)),
        )
    cls, channels, mirror = DATASETS[args.dataset]
    return (
        cls(args.data_dir, train=True, download=args.download,
            transform=image_transform(channels, True, mirror)),
        cls(args.data_dir, train=False, download=args.download,
            transform=image_transform(channels, False, mirror)),
    )


def load_weights(path: str) -> dict[str, torch.Tensor]:
    """A state_dict saved by torch.save or, for .safetensors, safetensors."""
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path)
    return torch.load(path, map_location="cpu", weights_only=True)


def freeze(model: nn.Module) -> None:
    """Stop the FROZEN layers' parameters from being trained."""
    for name in FROZEN:
        model.get_submodule(name).requires_grad_(False)


def train_mode(model: nn.Module) -> None:
    """Training mode, except for the FROZEN layers: they stay in eval mode."""
    model.train()
    for name in FROZEN:
        model.get_submodule(name).eval()


def parameter_groups(model: nn.Module, lr: float) -> list[dict]:
    """The trainable parameters, a group per learning rate (LR_MULT's)."""
    groups: dict[float, list[nn.Parameter]] = {}
    for name, param in model.named_parameters():
        if param.requires_grad:
            layer = name.rpartition(".")[0]
            groups.setdefault(LR_MULT.get(layer, 1.0), []).append(param)
    return [{"params": params, "lr": lr * mult}
            for mult, params in groups.items()]


@torch.no_grad()
def accuracy(model: nn.Module, data: Dataset, args: argparse.Namespace,
             device: torch.device) -> float:
    model.eval()
    correct = 0
    for x, y in DataLoader(data, args.batch_size, num_workers=args.workers):
        y_hat = model(x.to(device)).argmax(1)
        correct += (y_hat == y.to(device)).sum().item()
    train_mode(model)
    return correct / len(data)


def main() -> None:
    args = parse_args()
    distributed = "WORLD_SIZE" in os.environ  # set by torchrun
    rank = int(os.environ.get("RANK", 0))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    backend = "nccl" if device.type == "cuda" else "gloo"
    if distributed:
        dist.init_process_group(backend)
    if rank == 0:
        world = dist.get_world_size() if distributed else 1
        how = f"{world} processes, {backend}" if distributed else "1 process"
        print(f"training $class_name on {device.type} ({how})")
    torch.manual_seed(args.seed)

    model = $class_name().to(device)
    if args.weights:
        model.load_state_dict(load_weights(args.weights))
    freeze(model)
    train_mode(model)
    net = model  # the model itself, for testing and saving
    if distributed:
        ids = [local_rank] if device.type == "cuda" else None
        model = DistributedDataParallel(model, device_ids=ids)

    train_set, test_set = load_data(args)
    classes = len(getattr(train_set, "classes", range(NUM_CLASSES)))
    if classes > NUM_CLASSES:
        raise SystemExit(f"{args.dataset} has {classes} classes, but "
                         f"$class_name gives {NUM_CLASSES} scores.")
    sampler = None
    if distributed:
        sampler = DistributedSampler(train_set, seed=args.seed)
    loader = DataLoader(
        train_set, args.batch_size, shuffle=sampler is None, sampler=sampler,
        num_workers=args.workers, pin_memory=device.type == "cuda",
        drop_last=True)
    optimizer = torch.optim.SGD(
        parameter_groups(net, args.lr), lr=args.lr, momentum=args.momentum,
        weight_decay=args.weight_decay)
    total = max(1, args.epochs * len(loader))
    if args.steps:
        total = min(total, args.steps)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, total)
    loss_fn = nn.CrossEntropyLoss()

    step = 0
    for epoch in range(1, args.epochs + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            if rank == 0 and (step % 50 == 0 or step == args.steps):
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")
            if step == args.steps:
                break
        if rank == 0:
            score = accuracy(net, test_set, args, device)
            torch.save(net.state_dict(), args.out)
            print(f"epoch {epoch}: test accuracy {score:.1%}, "
                  f"saved {args.out}")
        if step == args.steps:
            break
    if distributed:
        # wait for every process: leaving early aborts a busy peer
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
''')


def generate_train_script(graph: Graph, module: str = "model", class_name: str = "Net") -> str:
    """The source of train.py for class_name of module.py, the code generate(graph) wrote.

    Raises build.BuildError for an invalid graph and TrainScriptError for a network that is no classifier
    (its output must be a vector of two or more class scores)."""
    result = checked(graph)
    assert result.output is not None
    out = result.nodes[result.output].output_shape
    shape = result.nodes[result.order[0]].output_shape
    assert out is not None and shape is not None
    if len(out) != 1 or out[0] < 2:
        raise TrainScriptError(
            f"train.py trains classifiers, whose output is a vector of two or more class scores; this network "
            f"outputs {'×'.join(map(str, out))}."
        )
    image = shape if len(shape) == 3 else _IMAGES_OF_VECTOR.get(shape[0], (1, 1, shape[0]))
    paths = module_paths(graph)
    frozen = [f'"{paths[nid]}"' for nid in graph.nodes if nid in result.frozen and nid in paths]
    mults = [f'"{paths[nid]}": {mult!r}' for nid, mult in lr_mults(graph).items() if nid in paths]
    dataset = "mnist" if image == (1, 28, 28) else "cifar10"
    return _TEMPLATE.substitute(
        module=module,
        class_name=class_name,
        input_shape=tuple(shape),
        image_shape=tuple(image),
        num_classes=out[0],
        dataset=dataset,
        frozen=_listing(frozen, "(", ")"),
        lr_mult=_listing(mults, "{", "}"),
    )


def _listing(items: list[str], start: str, end: str) -> str:
    """A tuple's or dict's source, an item a line (an empty one on one line)."""
    return start + "".join(f"\n    {item}," for item in items) + ("\n" if items else "") + end
