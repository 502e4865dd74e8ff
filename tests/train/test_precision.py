import io

import pytest
import torch

from netbuilder.records.config import TrainConfig
from netbuilder.records.events import Finished
from netbuilder.records.report import Progress
from netbuilder.train.device import cpu_has_native_bf16, resolve, resolve_precision
from netbuilder.train.loop import Trainer
from netbuilder.train.probe import devices

CPU = torch.device("cpu")


@pytest.fixture(params=[True, False], ids=["bf16-cpu", "plain-cpu"])
def native(request, monkeypatch):
    """A CPU with native bf16 (AVX512-BF16) or one without (AVX2 only), as torch reports it."""
    capabilities = {"architecture": "x86_64", "avx2": True, "avx512_bf16": request.param, "amx_bf16": False}
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: capabilities)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    return request.param


def test_auto_is_bf16_with_channels_last_on_a_cpu_with_native_bf16_and_fp32_elsewhere(native):
    assert cpu_has_native_bf16() is native
    assert resolve_precision("auto", CPU) is (torch.bfloat16 if native else None)
    assert resolve_precision("fp32", CPU) is None and resolve_precision("bf16", CPU) is torch.bfloat16
    assert resolve_precision("auto", torch.device("mps")) is None
    assert resolve(TrainConfig()).channels_last is native
    assert not resolve(TrainConfig(precision="fp32")).channels_last
    assert devices()["precision"] == ("bf16" if native else "fp32")


def test_kernels_without_the_instructions_are_not_native(monkeypatch):
    """oneDNN runs bf16 on any AVX-512 CPU by converting (slower than fp32): the instructions decide."""
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx512_f": True, "avx512_bf16": False})
    assert not cpu_has_native_bf16()
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"architecture": "arm64", "bf16": True})
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    assert not cpu_has_native_bf16()


def test_the_run_header_names_the_resolved_precision(native, seed_cnn, quick):
    trainer = Trainer(seed_cnn, resolve(quick.replace(limit=200, precision="auto")))
    trainer.setup()
    started = next(trainer.events())
    out = io.StringIO()
    Progress(out, live=False)(started)
    assert f"on cpu ({'bf16' if native else 'fp32'}): " in out.getvalue()


@pytest.mark.slow
def test_bf16_reaches_the_accuracy_of_fp32(seed_cnn):
    """seed_cnn on 4,000 shapes10 images, 2 epochs: the test accuracy of bf16 (channels-last, as auto runs it on a
    CPU) within one point of fp32's. (Measured with 6,000 images: 54.1% and 54.3%; 3 epochs 60.1% and 60.1%.)"""
    accuracy = {}
    for precision, channels_last in (("fp32", False), ("bf16", True)):
        config = TrainConfig(epochs=2, limit=4000, device="cpu", precision=precision, channels_last=channels_last)
        trainer = Trainer(seed_cnn, config)
        trainer.setup()
        assert trainer.autocast_dtype is (torch.bfloat16 if precision == "bf16" else None)
        last = list(trainer.events())[-1]
        assert isinstance(last, Finished)
        accuracy[precision] = last.test_accuracy
    assert abs(accuracy["bf16"] - accuracy["fp32"]) <= 0.01, accuracy
    assert accuracy["fp32"] > 0.3
