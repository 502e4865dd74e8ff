import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

from netbuilder.cli import main
from netbuilder.core.document import save
from netbuilder.core.presets import load_preset
from netbuilder.core.search_space import Choice, Range
from netbuilder.records.runs import default_root, list_runs
from netbuilder.train import search

QUICK = ["--dataset", "shapes10", "--epochs", "1", "--limit", "200", "--batch-size", "50", "--sampler-seed", "0"]


@pytest.fixture
def net(tmp_path: Path) -> Path:
    """seed_cnn searching its conv's width and the learning rate."""
    doc = load_preset("seed_cnn")
    doc.search = doc.search.with_block("conv1", "out_channels", Choice((4, 8, 12))).with_setting(
        "lr", Range(1e-3, 1e-2, True)
    )
    path = tmp_path / "net.json"
    save(doc, path)
    return path


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def cli(*argv: str) -> list[str]:
    return [sys.executable, "-m", "netbuilder", *argv]


def trials(url: str, name: str) -> list[optuna.trial.FrozenTrial]:
    return search.load(name, url).trials


@pytest.mark.slow
def test_four_trials_write_four_runs_and_a_study(net, tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/study.db"
    assert main(["search", str(net), "--trials", "4", "--storage", url, "--json", *QUICK]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    summary = lines[-1]
    assert summary["event"] == "study" and summary["study"] == "net" and len(summary["trials"]) == 4
    assert [row["number"] for row in lines if row["event"] == "trial"] == [0, 1, 2, 3]
    assert any(row["event"] == "epoch" for row in lines)
    done = [t for t in trials(url, "net") if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(done) == 4  # one epoch each: nothing is pruned after a run's last epoch
    best = summary["best"]
    assert best["value"] == max(t.value for t in done) and set(best["params"]) == {"lr", "conv1.out_channels"}
    folders = list_runs(default_root())
    assert len(folders) == 4
    for run in folders:
        tag = run.trial
        assert tag is not None and tag.study == "net" and run.summary["study"] == "net"
        assert run.document.graph.nodes["conv1"].params["out_channels"] == tag.params["conv1.out_channels"]
        assert not run.document.search and run.config.lr == tag.params["lr"]
    assert Path(best["run_dir"]).name in {r.path.name for r in folders}

    # --trials 0 without the file reports the stored study; the best network comes back from the summary alone
    assert main(["search", "--study", "net", "--storage", url, "--trials", "0", "--json"]) == 0
    again = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert again["trials"] == summary["trials"] and again["network"] == summary["network"]


@pytest.mark.slow
def test_an_invalid_combination_is_pruned_with_its_sentence(tmp_path, capsys):
    doc = load_preset("seed_cnn")
    doc.search = doc.search.with_block("conv1", "kernel_size", Choice((35, 40)))
    save(doc, tmp_path / "big.json")
    url = f"sqlite:///{tmp_path}/study.db"
    assert main(["search", str(tmp_path / "big.json"), "--trials", "2", "--storage", url, *QUICK]) == 0
    out = capsys.readouterr().out
    assert "2 pruned" in out and "no trial has completed yet" in out
    for trial in trials(url, "big"):
        assert trial.state == optuna.trial.TrialState.PRUNED
        assert "is larger than the 32×32 input padded by 1" in trial.user_attrs["invalid"]
    assert not list_runs(default_root())


def test_a_space_the_settings_refuse_is_one_sentence(tmp_path, capsys):
    doc = load_preset("seed_cnn")
    doc.search = doc.search.with_setting("momentum", Range(0.5, 2.0))
    save(doc, tmp_path / "bad.json")
    assert main(["search", str(tmp_path / "bad.json"), "--trials", "1", *QUICK]) == 2
    assert "momentum must be between 0 and 1; got 2.0" in capsys.readouterr().err
    save(load_preset("seed_cnn"), tmp_path / "plain.json")
    assert main(["search", str(tmp_path / "plain.json"), "--trials", "1", *QUICK]) == 2
    assert "searches nothing" in capsys.readouterr().err
    search.storage(f"sqlite:///{tmp_path}/empty.db")  # a storage that holds no study
    assert main(["search", "--study", "nope", "--storage", f"sqlite:///{tmp_path}/empty.db", "--trials", "0"]) == 2
    assert "There is no study 'nope'" in capsys.readouterr().err
    assert main(["search", "--storage", f"sqlite:///{tmp_path}/empty.db", "--trials", "0"]) == 2
    assert "Name the study to continue with --study NAME (it holds no study yet)." in capsys.readouterr().err
    assert main(["search", "--storage", f"sqlite:///{tmp_path}/x.db", "--trials", "0"]) == 2
    assert "There is no study storage sqlite:///" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()  # a study to continue is never created


@pytest.mark.slow
def test_two_processes_share_one_study(net, tmp_path):
    url = f"sqlite:///{tmp_path}/shared.db"
    argv = cli("search", str(net), "--trials", "3", "--storage", url, *QUICK)
    workers = [subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    found = trials(url, "net")
    assert len(found) == 6 and sorted(t.number for t in found) == list(range(6))
    assert all(t.state.is_finished() for t in found)
    assert len({t.user_attrs["run_dir"] for t in found}) == 6


@pytest.mark.slow
def test_a_killed_search_resumes_with_its_completed_trials(net, tmp_path):
    url = f"sqlite:///{tmp_path}/study.db"
    argv = cli("search", str(net), "--trials", "50", "--storage", url, "--json", *QUICK)
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    finished = 0
    deadline = time.monotonic() + 90
    for line in child.stdout:
        if json.loads(line)["event"] == "trial":
            finished += 1
            if finished == 2:
                break
        assert time.monotonic() < deadline
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    before = {t.number: t for t in trials(url, "net") if t.state.is_finished()}
    assert len(before) >= 2

    assert main(["search", str(net), "--trials", "1", "--storage", url, *QUICK]) == 0
    after = {t.number: t for t in trials(url, "net")}
    for number, trial in before.items():
        assert after[number].state == trial.state and after[number].value == trial.value
    assert not any(t.state == optuna.trial.TrialState.RUNNING for t in after.values())  # a killed one is failed


@pytest.mark.parametrize(
    "race",
    [
        "(sqlite3.IntegrityError) UNIQUE constraint failed: alembic_version.version_num",
        "(sqlite3.OperationalError) table studies already exists",
        "(sqlite3.OperationalError) database is locked",
    ],
)
def test_a_storage_another_process_is_creating_is_opened_on_a_second_try(monkeypatch, tmp_path, race):
    calls = []
    real = optuna.storages.RDBStorage

    def racing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError(race)
        return real(*args, **kwargs)

    monkeypatch.setattr(optuna.storages, "RDBStorage", racing)
    monkeypatch.setattr(search.time, "sleep", lambda s: None)
    assert search.storage(f"sqlite:///{tmp_path / 'studies.db'}") is not None and len(calls) == 2


def test_a_storage_that_cannot_be_opened_is_one_sentence(tmp_path):
    (tmp_path / "not.db").write_text("not a database")
    with pytest.raises(search.TrainError, match=r"^The study storage sqlite:///.*not\.db cannot be opened \("):
        search.storage(f"sqlite:///{tmp_path / 'not.db'}")


@pytest.mark.slow
def test_a_trial_killed_mid_run_fails_at_the_next_start_and_its_values_are_tried_again(net, tmp_path):
    url = f"sqlite:///{tmp_path}/study.db"
    child = subprocess.Popen(
        cli("search", str(net), "--trials", "5", "--storage", url, "--json", *QUICK),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    started = next(row for line in child.stdout if (row := json.loads(line))["event"] == "trial_started")
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    number = started["number"]
    assert next(t for t in trials(url, "net") if t.number == number).state == optuna.trial.TrialState.RUNNING

    assert main(["search", str(net), "--trials", "1", "--storage", url, *QUICK]) == 0
    after = {t.number: t for t in trials(url, "net")}
    killed = after[number]
    assert killed.state == optuna.trial.TrialState.FAIL
    assert killed.user_attrs["error"] == "its process ended while it ran"
    (retried,) = [t for t in after.values() if t.user_attrs.get("retry_of") == number]
    assert retried.state == optuna.trial.TrialState.COMPLETE and retried.params == started["params"]


def _corrupt(path: Path, page: int) -> None:
    data = bytearray(path.read_bytes())
    data[page * 4096 : (page + 1) * 4096] = b"\xa5" * 4096
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("page", [1, 2, 4])
def test_a_study_storage_with_a_corrupt_page_is_one_sentence(tmp_path, page):
    db = tmp_path / "study.db"
    study = optuna.create_study(study_name="net", storage=f"sqlite:///{db}")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=20)
    _corrupt(db, page)
    before = db.read_bytes()
    proc = subprocess.run(
        cli("search", "--study", "net", "--storage", f"sqlite:///{db}", "--trials", "0"), capture_output=True, text=True
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert line.startswith(f"error: The study storage sqlite:///{db} cannot be read (") and "damaged" in line
    assert db.read_bytes() == before


def test_runs_that_cannot_be_written_are_refused_before_anything_is_written(net, tmp_path, capsys, monkeypatch):
    (tmp_path / "afile").write_text("")
    url = f"sqlite:///{tmp_path}/study.db"
    for runs, words in (("afile", "afile is a file, not a folder"), ("afile/runs", "which is a file, not a folder")):
        assert main(["search", str(net), "--runs", str(tmp_path / runs), "--trials", "1", *QUICK]) == 2
        assert words in capsys.readouterr().err
        assert main(["search", str(net), "--runs", str(tmp_path / runs), "--storage", url, *QUICK]) == 2
        assert words in capsys.readouterr().err
    (tmp_path / "locked").mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != tmp_path / "locked" and real(p, mode))  # root
    assert main(["search", str(net), "--runs", str(tmp_path / "locked" / "runs"), "--trials", "1", *QUICK]) == 2
    assert "locked is read-only); give --runs a folder you can write to." in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "locked", "net.json"]
    assert not list((tmp_path / "locked").iterdir())
