"""A run's checkpoints (last.pt, best.pt): torch.save'd dicts of state_dicts and plain values, loaded back with
weights_only=True; the run folder itself is records.runs. torch is imported only when a checkpoint is read or
written (the CLI's other commands import this module)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netbuilder.core.atomic import write_atomic
from netbuilder.core.initial import mismatch
from netbuilder.records.runs import CHECKPOINTS, NETWORK, Run
from netbuilder.records.train_error import TrainError


def save(run: Run, state: dict[str, Any], best: bool) -> Path:
    """last.pt gets the whole state and whether its epoch was the best; best.pt, when best, the model's
    weights and the epoch."""
    _save({**state, "best": best}, run.checkpoint_path("last"))
    if best:
        _save({"model": state["model"], "epoch": state["epoch"]}, run.checkpoint_path("best"))
    return run.checkpoint_path("last")


def load(run: Run, which: str = "last") -> dict[str, Any]:
    """The checkpoint as saved, its layout checked (a "model" dict of tensors, a whole "epoch"), with
    "path": where it was read from."""
    path = run.checkpoint_path(which)
    if not path.is_file():
        raise TrainError(
            f"{run.path} has no {which} checkpoint yet (no epoch finished); train it again without --resume."
        )
    data = _load(path)
    problem = _layout_problem(data)
    if problem:
        raise TrainError(
            f"{path.name} in {run.path} is not a checkpoint of this run ({problem}); delete it, or train again."
        )
    return {**data, "path": path}


def model_weights(run: Run) -> dict[str, Any]:
    """The trained network's state_dict: the best checkpoint's, or the last's where there is no best."""
    return load(run, "best" if run.weights_path().name == CHECKPOINTS["best"] else "last")["model"]


def rewind(run: Run, checkpoint: dict[str, Any]) -> None:
    """Run.rewind, and best.pt made to agree with the checkpoint (a kill can fall between last.pt and best.pt)."""
    run.rewind(checkpoint)
    epoch = checkpoint["epoch"]
    if checkpoint.get("best") and epoch > 0 and _epoch_of(run.checkpoint_path("best")) != epoch:
        _save({"model": checkpoint["model"], "epoch": epoch}, run.checkpoint_path("best"))


def restore(checkpoint: dict[str, Any], net: Any, optimizer: Any = None, scaler: Any = None) -> None:
    """Put a checkpoint's weights into net (and its state into the optimizer and the scaler, where it has
    one); a checkpoint that does not fit is one sentence."""
    path = checkpoint["path"]
    where = f"{path.name} in {path.parent} does not match its {NETWORK}"
    problem = mismatch(checkpoint["model"], net.state_dict())
    if problem:
        raise TrainError(f"{where}: {problem}.")
    try:
        net.load_state_dict(checkpoint["model"])
        if optimizer is not None and checkpoint.get("optimizer"):
            optimizer.load_state_dict(checkpoint["optimizer"])
        if scaler is not None and checkpoint.get("scaler"):
            scaler.load_state_dict(checkpoint["scaler"])
    except Exception as e:  # torch's own checks, in many kinds and many lines
        raise TrainError(f"{where}: its saved state does not fit ({type(e).__name__}).") from None


def _save(state: dict[str, Any], path: Path) -> None:
    import torch  # start-up time: the CLI imports this module

    write_atomic(path, lambda f: torch.save(state, f))


def _load(path: Path) -> Any:
    import torch  # start-up time: the CLI imports this module

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a damaged or foreign file: torch raises many kinds
        raise TrainError(
            f"The checkpoint {path} cannot be read ({type(e).__name__}); delete it, or train again."
        ) from None


def _epoch_of(path: Path) -> int | None:
    """The epoch a checkpoint file holds, or None when it is missing or unreadable."""
    try:
        data = _load(path)
    except TrainError:
        return None
    return data.get("epoch") if isinstance(data, dict) else None


def _layout_problem(data: Any) -> str | None:
    """What keeps data from being a checkpoint, in a few words; None when it is one."""
    import torch  # start-up time: the CLI imports this module

    if not isinstance(data, dict):
        return f"it holds a {type(data).__name__}, not a dict"
    model, epoch = data.get("model"), data.get("epoch")
    if not isinstance(model, dict) or not all(isinstance(v, torch.Tensor) for v in model.values()):
        return "it holds no model weights"
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        return "it holds no epoch"
    return None
