"""Readers: formats, aliases, --map, positions, and garbled input counted, never fatal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hnet_lint.analyze.fields import canonical_name, parse_mapping
from hnet_lint.analyze.metrics import MetricsWriter
from hnet_lint.analyze.readers import read_log
from hnet_lint.analyze.run import analyze_logs
from hnet_lint.diagnostics import HnetLintError

from .helpers import rows, write_csv, write_jsonl, write_text


@pytest.mark.parametrize("name, canon", [
    ("iter", "step"), ("global_step", "step"), ("train_loss", "loss"), ("gnorm", "grad_norm"),
    ("grad-norm", "grad_norm"), ("total_norm", "grad_norm"), ("learning_rate", "lr"),
    ("lr_group_2", "lr_group_2"), ("lr/stage1", "lr_group_1"), ("lr-AdamW/pg0", "lr_group_0"),
    ("val_loss", "eval_loss"), ("ratio_loss/stage1", "ratio_loss_1"),
    ("boundary_rate_0", "compression_0"), ("timestamp", None),
])
def test_aliases(name: str, canon: str | None) -> None:
    assert canonical_name(name) == canon


def test_map_option() -> None:
    assert parse_mapping(["grad_norm=gn_total"]) == {"gn_total": "grad_norm"}
    with pytest.raises(ValueError, match="not a field"):
        parse_mapping(["gradnorm=x"])
    assert canonical_name("gn_total", {"gn_total": "grad_norm"}) == "grad_norm"


def test_text_log_fields_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "train.log"
    path.write_text("2024-05-01 12:00:00 INFO starting\n"
                    "step 100 | loss 2.31 | grad_norm 0.8 | lr 3.0e-4\n"
                    "[rank0] iter=200 train_loss=2.1 gnorm: 1.2 lr/stage1=2e-4\n")
    log = read_log(str(path))
    assert log.format == "text" and log.skipped == [1]
    assert log.series["loss"].steps == [100, 200] and log.series["loss"].values == [2.31, 2.1]
    assert log.series["lr_group_1"].values == [2e-4]
    where = log.series["grad_norm"].where[0]
    line = path.read_text().splitlines()[1]
    assert line[where.column - 1:where.end_column - 1] == "grad_norm 0.8"


def test_truncated_and_garbled_jsonl_is_counted(tmp_path: Path) -> None:
    data = rows(n=500)
    text = "".join(json.dumps(r) + "\n" for r in data)
    text = text.replace(json.dumps(data[7]), "\x00\x01 garbage ~~")
    path = tmp_path / "t.jsonl"
    path.write_text(text + '{"step": 500, "loss": 2.1')  # killed mid-write
    result = analyze_logs([str(path)])
    [diag] = [d for d in result.findings if d.code == "HNL901"]
    assert diag.data["count"] == 2 and diag.data["lines"] == [8, 51]
    assert diag.message.startswith("2 of 51 lines could not be read as metrics (lines 8, 51)")
    assert len(result.logs[0].series["loss"]) == 49


def test_csv_variant_finds_the_same_spike(tmp_path: Path, config: str) -> None:
    data = rows()
    data[150]["grad_norm"] = 1810.0
    result = analyze_logs([str(write_csv(tmp_path / "m.csv", data))], config=config)
    [diag] = [d for d in result.findings if d.code == "HNL903"]
    assert diag.data["step"] == 1500 and diag.span.line == 152
    line = (tmp_path / "m.csv").read_text().splitlines()[151]
    assert line[diag.span.column - 1:diag.span.end_column - 1] == "1810.0"


def test_text_variant_finds_missing_multipliers(tmp_path: Path, config: str) -> None:
    log = write_text(tmp_path / "train.log", rows(n=900, multipliers=(1.0, 1.0, 1.0)))
    result = analyze_logs([str(log)], config=config)
    assert sorted(d.code for d in result.findings) == ["HNL901", "HNL906", "HNL907"]
    stop = next(d for d in result.findings if d.code == "HNL906")
    assert stop.data["last_step"] == 890


def test_map_reads_unusual_names(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text("".join(json.dumps({"it": i, "gn_total": 0.5 if i != 50 else 90.0,
                                        "loss": 2.0}) + "\n" for i in range(100)))
    plain = analyze_logs([str(path)])
    assert plain.findings == [] and "gn_total" in plain.logs[0].unknown_fields
    mapped = analyze_logs([str(path)], mapping={"gn_total": "grad_norm", "it": "step"})
    assert [d.code for d in mapped.findings] == ["HNL903"]


def test_metrics_writer_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "curves.jsonl"
    with MetricsWriter(str(path)) as out:
        out.write(0, loss=3.0, grad_norm=1.0, lr=[6e-4, 3e-4], compression=[0.3, 0.31],
                  ratio_loss=[1.0, 1.01], eval_loss=None)
        out.write(1, loss=float("nan"))
    log = read_log(str(path))
    assert sorted(log.series) == ["compression_0", "compression_1", "grad_norm", "loss",
                                  "lr_group_0", "lr_group_1", "ratio_loss_0", "ratio_loss_1"]
    assert log.series["loss"].steps == [0, 1]
    with pytest.raises(ValueError, match="unknown metric"):
        MetricsWriter(str(tmp_path / "x.jsonl")).write(0, los=1.0)


def test_tensorboard_without_extra_says_which(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if the extra were not installed
    path = tmp_path / "events.out.tfevents.123.host"
    path.write_bytes(b"\x00" * 16)
    with pytest.raises(HnetLintError, match=r"hnet-lint\[tensorboard\]"):
        read_log(str(path))


def test_tensorboard_event_files_written_by_torch(tmp_path: Path) -> None:
    """Real event files (torch's SummaryWriter) read through the tensorboard extra: tags with
    slashes map to canonical fields and a clipped spike is found as in any other format."""
    pytest.importorskip("tensorboard")
    writer_mod = pytest.importorskip("torch.utils.tensorboard")
    writer = writer_mod.SummaryWriter(str(tmp_path))
    for step in range(0, 300, 10):
        writer.add_scalar("train/loss", 5.0 - step / 100, step)
        writer.add_scalar("train/grad_norm", 50.0 if step == 150 else 1.0, step)
        writer.add_scalar("lr/group0", 3e-4, step)
    writer.close()
    (event_file,) = tmp_path.glob("events.out.tfevents.*")
    log = read_log(str(event_file))
    assert {"loss", "grad_norm", "lr_group_0"} <= set(log.series)
    assert log.series["loss"].steps[:3] == [0, 10, 20]
    assert max(log.series["grad_norm"].values) == 50.0


def test_readers_import_no_heavy_modules() -> None:
    code = ("import sys, hnet_lint.analyze.readers, hnet_lint.analyze.detectors, "
            "hnet_lint.analyze.run; "
            "print(sorted(m for m in ('matplotlib', 'torch', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
