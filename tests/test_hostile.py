"""Hostile inputs: each gives a clear diagnostic (or exit 2) quickly, never a traceback.

Every case is run through the library (one test per case) and, in one batch, through the
real command line in a subprocess. A few cases that need their own process (code that
must not execute, peak memory for a 50 MB file, exit codes) get their own CLI run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from hnet_lint.api import EXIT_USAGE, lint_paths

from .conftest import ROOT

LIMIT_S = 10.0
MiB = 1024 * 1024


def _alias_bomb() -> str:
    """Nine levels of nine aliases each: 9**9 strings if an alias-expanding loader ran."""
    lines = ["model: m.json", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def _write_text(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text)


def _write_bytes(blob: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(blob)


def _fifty_mb(path: Path) -> None:
    line = b"# " + b"x" * 1022 + b"\n"
    with path.open("wb") as fh:
        fh.write(b"model: m.json\n")
        for _ in range(50 * 1024):
            fh.write(line)


def _directory(path: Path) -> None:
    path.mkdir()


# name -> (file name, how to create it (None: leave it missing), code, exit code)
CASES: dict[str, tuple[str, Callable[[Path], None] | None, str, int]] = {
    "alias-bomb": ("bomb.yaml", _write_text(_alias_bomb()), "HNL000", 2),
    "recursive-alias": ("rec.yaml", _write_text("model: &a [*a]\n"), "HNL000", 2),
    "deep-flow-yaml": ("flow.yaml", _write_text("[" * 10_000 + "]" * 10_000 + "\n"), "HNL000", 2),
    "deep-flow-json": ("flow.json", _write_text("[" * 10_000 + "]" * 10_000 + "\n"), "HNL000", 2),
    "deep-block-seq": ("block.yaml", _write_text("- " * 10_000 + "1\n"), "HNL000", 2),
    "deep-block-map": ("blockmap.yaml",
                       _write_text("".join(" " * i + "k:\n" for i in range(1_000))), "HNL000", 2),
    "deep-object-json": ("obj.json", _write_text('{"a":' * 10_000 + "1" + "}" * 10_000),
                         "HNL000", 2),
    "fifty-mb": ("big.yaml", _fifty_mb, "HNL000", 2),
    "binary-nul": ("bin.yaml", _write_bytes(b"model: \x00\x01\x02\x03\n\x00\x00"), "HNL000", 2),
    "nul-in-json": ("nul.json", _write_bytes(b'{"model_config": "m.json"}\x00'), "HNL000", 2),
    "invalid-utf8": ("latin1.yaml", _write_bytes(b"model: caf\xe9.json\n"), "HNL000", 2),
    "huge-json-int": ("int.json", _write_text('{"learning_rate": ' + "9" * 5_000 + "}"),
                      "HNL000", 2),
    "directory-named-like-a-file": ("run.yaml", _directory, "HNL000", 2),
    "missing-path": ("nowhere.yaml", None, "HNL000", 2),
    "empty-file": ("empty.yaml", _write_text(""), "HNL011", 1),
    "json-bare-list": ("list.json", _write_text("[1, 2, 3]\n"), "HNL011", 1),
    "python-tag": ("tag.yaml", _write_text(
        'model: m.json\ntraining:\n  seed: !!python/object/apply:os.system ["touch PWNED"]\n'),
        "HNL005", 1),
}


def _make(tmp_path: Path, name: str) -> Path:
    file_name, create, _, _ = CASES[name]
    path = tmp_path / file_name
    if create is not None:
        create(path)
    return path


def _cli(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "hnet_lint", "--isolated", "--no-source",
                           "--format", "concise", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)
    return proc, time.perf_counter() - start


@pytest.mark.parametrize("name", list(CASES))
def test_api_reports_hostile_input(name: str, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The library returns a located diagnostic with the expected code and exit code."""
    path = _make(tmp_path, name)
    _, _, code, exit_code = CASES[name]
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    report = lint_paths([path.name])
    assert time.perf_counter() - start < LIMIT_S
    found = [d for d in report.active if d.code == code]
    assert found, [f"{d.code} {d.message}" for d in report.active]
    assert all(d.span.line >= 1 and d.span.column >= 1 for d in report.active)
    assert report.exit_code() == exit_code
    assert "HNL012" not in {d.code for d in report.active}


def test_cli_handles_every_hostile_input_in_one_run(tmp_path: Path) -> None:
    """All cases in one command: bounded time, exit 2, one line per file, no traceback."""
    names = [CASES[n][0] for n in CASES]
    for name in CASES:
        _make(tmp_path, name)
    proc, elapsed = _cli(names, tmp_path)
    assert elapsed < 3 * LIMIT_S
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert proc.returncode == EXIT_USAGE
    for name, (file_name, _, code, _) in CASES.items():
        assert any(line.startswith(f"{file_name}:") and f" {code} " in line
                   for line in proc.stdout.splitlines()), (name, proc.stdout)


def test_cli_never_executes_python_tags(tmp_path: Path) -> None:
    """`!!python/object/apply:os.system` is reported, and the command it names never runs."""
    path = _make(tmp_path, "python-tag")
    proc, elapsed = _cli([path.name], tmp_path)
    assert not (tmp_path / "PWNED").exists()
    assert "HNL005" in proc.stdout and "os.system" in proc.stdout
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert elapsed < LIMIT_S


def test_cli_fifty_mb_file_is_refused_cheaply(tmp_path: Path) -> None:
    """A 50 MB file is not read whole: exit 2 quickly and peak memory far below its size."""
    path = _make(tmp_path, "fifty-mb")
    assert path.stat().st_size > 50 * MiB
    # VmHWM is this process's own high-water mark; ru_maxrss would carry over the (large)
    # pytest parent's peak through fork and exec on Linux.
    code = ("import sys\n"
            "from hnet_lint.cli import main\n"
            "try:\n    main(sys.argv[1:])\n"
            "except SystemExit as exc:\n"
            "    status = open('/proc/self/status').read()\n"
            "    peak = int(status.split('VmHWM:')[1].split()[0])\n"
            "    print(f'PEAK_KB={peak}', file=sys.stderr)\n    raise\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, "--isolated", "--format", "concise",
                           path.name], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert time.perf_counter() - start < LIMIT_S
    assert proc.returncode == EXIT_USAGE and "larger than" in proc.stdout
    peak_kb = int(proc.stderr.rsplit("PEAK_KB=", 1)[1].split()[0])
    assert peak_kb < 40 * 1024 + 80 * 1024  # interpreter + imports, nowhere near 50 MB more
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", ["missing-path", "directory-named-like-a-file"])
def test_cli_unreadable_paths_exit_2(name: str, tmp_path: Path) -> None:
    """A path that is missing, or a folder with a config's name, is an input error."""
    path = _make(tmp_path, name)
    proc, _ = _cli([path.name], tmp_path)
    assert proc.returncode == EXIT_USAGE
    assert "cannot read file" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_directory_with_configs_is_still_searched(tmp_path: Path) -> None:
    """Only an empty folder named like a file is reported; a folder of configs is linted."""
    folder = tmp_path / "configs.yaml"
    folder.mkdir()
    (folder / "bad.yaml").write_text("model: [1, 2\n")
    report = lint_paths([str(folder)])
    assert [d.code for d in report.active] == ["HNL000"]
    assert len(report.files) == 1 and report.files[0].endswith("configs.yaml/bad.yaml")
