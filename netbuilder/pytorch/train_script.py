"""Graph → the source of a standalone train.py for model.py: plain torch and torchvision, one process or many
under torchrun (DistributedDataParallel)."""

from __future__ import annotations

from math import prod
from string import Template

from netbuilder.core.graph import Graph
from netbuilder.pytorch.build import checked

# The shape of the images behind a vector Input: a dataset's own images when the sizes agree.
_IMAGES_OF_VECTOR = {784: (1, 28, 28), 3072: (3, 32, 32)}


class TrainScriptError(Exception):
    """The network cannot be trained by train.py; the message says why."""


_TEMPLATE = Template('''\
"""Train $title ($module.py) with plain PyTorch and torchvision.

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
    add("--weights", help="start from these weights (a torch.save'd "
        "state_dict)")
    add("--out", default="trained.pt", help="where to save the weights")
    add("--seed", type=int, default=0)
    return parser.parse_args()


def image_transform(channels: int, train: bool, mirror: bool):
    """Images of IMAGE_SHAPE as tensors in [-1, 1], flat for a vector."""
    c, h, w = IMAGE_SHAPE
    steps = [] if channels == c else [transforms.Grayscale(c)]
    steps.append(transforms.Resize((h, w)))
    if train and mirror:
        steps.append(transforms.RandomHorizontalFlip())
    steps += [transforms.ToTensor(), transforms.Normalize([0.5] * c, [0.5] * c)]
    if len(INPUT_SHAPE) == 1:
        steps.append(transforms.Lambda(torch.flatten))
    return transforms.Compose(steps)


def load_data(args: argparse.Namespace) -> tuple[Dataset, Dataset]:
    """The training and test sets."""
    if args.fake_data:
        def fake(size: int, seed: int) -> Dataset:
            return datasets.FakeData(
                size, IMAGE_SHAPE, NUM_CLASSES, random_offset=seed,
                transform=image_transform(IMAGE_SHAPE[0], False, False))
        return fake(512, 0), fake(128, 512)
    if args.dataset == "folder":
        def folder(split: str, train: bool) -> Dataset:
            return datasets.ImageFolder(
                os.path.join(args.data_dir, split),
                image_transform(3, train, True))
        return folder("train", True), folder("val", False)
    cls, channels, mirror = DATASETS[args.dataset]
    return tuple(
        cls(args.data_dir, train=train, download=args.download,
            transform=image_transform(channels, train, mirror))
        for train in (True, False))


@torch.no_grad()
def accuracy(model: nn.Module, data: Dataset, args: argparse.Namespace,
             device: torch.device) -> float:
    model.eval()
    correct = 0
    for x, y in DataLoader(data, args.batch_size, num_workers=args.workers):
        y_hat = model(x.to(device)).argmax(1)
        correct += (y_hat == y.to(device)).sum().item()
    model.train()
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
    if distributed:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    torch.manual_seed(args.seed)

    model = $class_name().to(device)
    if args.weights:
        state = torch.load(args.weights, map_location=device, weights_only=True)
        model.load_state_dict(state)
    net = model  # the model itself, for testing and saving
    if distributed:
        ids = [local_rank] if device.type == "cuda" else None
        model = DistributedDataParallel(model, device_ids=ids)

    train_set, test_set = load_data(args)
    sampler = DistributedSampler(train_set, seed=args.seed) if distributed else None
    loader = DataLoader(
        train_set, args.batch_size, shuffle=sampler is None, sampler=sampler,
        num_workers=args.workers, pin_memory=device.type == "cuda",
        drop_last=True)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=args.lr, momentum=args.momentum,
        weight_decay=args.weight_decay)
    total = args.steps or args.epochs * len(loader)
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
            print(f"epoch {epoch}: test accuracy {score:.1%}, saved {args.out}")
        if step == args.steps:
            break
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
''')


def generate_train_script(graph: Graph, module: str = "model", class_name: str = "Net", title: str = "") -> str:
    """The source of train.py for the class_name of module.py generated from graph.

    Raises build.BuildError for an invalid graph and TrainScriptError for a network that is no classifier
    (its output must be a vector of class scores) or whose input no image can fill."""
    result = checked(graph)
    assert result.output is not None
    out = result.nodes[result.output].output_shape
    shape = result.nodes[result.order[0]].output_shape
    assert out is not None and shape is not None
    if len(out) != 1 or out[0] < 2:
        raise TrainScriptError(
            f"train.py trains classifiers, whose output is a vector of two or more class scores; this network "
            f"outputs {'×'.join(map(str, out))}.")
    image = shape if len(shape) == 3 else _IMAGES_OF_VECTOR.get(shape[0], (1, 1, shape[0]))
    if prod(image) != prod(shape):
        raise TrainScriptError("no image fits this network's input.")
    dataset = {(1, 28, 28): "mnist"}.get(image, "cifar10")
    name = " ".join(title.split()).replace("\\", "\\\\").replace('"', '\\"') or class_name
    return _TEMPLATE.substitute(title=name, module=module, class_name=class_name, input_shape=tuple(shape),
                                image_shape=tuple(image), num_classes=out[0], dataset=dataset)
