"""The `model-info` click command: text and JSON output, one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hnet_lint.commands.model_info import model_info

from .helpers import load_reference, tiny_config


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "hnet_2stage_L.json"
    path.write_text(json.dumps(load_reference("hnet_2stage_L")["config"]))
    return path


def _assert_one_line_error(result, needle: str) -> None:
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and needle in result.stderr
    assert "Traceback" not in result.output


def test_text_output(config_file: Path) -> None:
    result = CliRunner().invoke(model_info, [str(config_file)])
    assert result.exit_code == 0, result.output
    assert "874,315,264" in result.stdout
    assert "n_res" in result.stdout and "FLOP/byte" in result.stdout and "GiB" in result.stdout


def test_json_output(config_file: Path) -> None:
    args = [str(config_file), "--format", "json", "--batch-size", "2", "--seq-len", "4096",
            "--param-dtype", "bfloat16", "--target-ratio", "4", "--target-ratio", "2"]
    result = CliRunner().invoke(model_info, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total_params"] == 874_315_264
    assert data["params_per_stage"] == [55_957_248, 81_651_456, 736_182_272]
    assert data["flops"]["target_ratios"] == [4.0, 2.0]
    assert data["memory"]["batch_size"] == 2 and data["memory"]["param_dtype"] == "bfloat16"


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(model_info, [str(tmp_path / "nope.json")])
    _assert_one_line_error(result, "cannot read file")


def test_malformed_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"arch_layout": ["m4", \n')
    _assert_one_line_error(CliRunner().invoke(model_info, [str(path)]), "JSON syntax error")


@pytest.mark.parametrize("content", ["[1, 2]", json.dumps(tiny_config(d_model=[64]))])
def test_invalid_config_exits_2(tmp_path: Path, content: str) -> None:
    path = tmp_path / "model.json"
    path.write_text(content)
    result = CliRunner().invoke(model_info, [str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and result.stderr.count("\n") == 1


def test_wrong_ratio_count_exits_2(config_file: Path) -> None:
    result = CliRunner().invoke(model_info, [str(config_file), "--target-ratio", "3"])
    _assert_one_line_error(result, "target ratio")


def test_non_utf8_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "binary.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    _assert_one_line_error(CliRunner().invoke(model_info, [str(path)]), "not valid UTF-8")


def test_directory_exits_2(tmp_path: Path) -> None:
    _assert_one_line_error(CliRunner().invoke(model_info, [str(tmp_path)]), "is a directory")


def test_native_run_config_supplies_ratios_and_batch_geometry(tmp_path: Path) -> None:
    """A run config is read through the linter: its routing ratios, seq_len, batch size and
    dtypes become the defaults, so the memory estimate is the run's own."""
    (tmp_path / "model.json").write_text(json.dumps(tiny_config()))
    run = tmp_path / "run.yaml"
    run.write_text("model: model.json\nrouting: {target_ratio: [4.0]}\n"
                   "training: {batch_size: 3, seq_len: 512, param_dtype: bfloat16}\n")
    result = CliRunner().invoke(model_info, [str(run), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["memory"]["batch_size"] == 3
    assert data["memory"]["seq_len"] == 512
    assert data["memory"]["param_dtype"] == "bfloat16"
    assert data["flops"]["target_ratios"] == [4.0]
