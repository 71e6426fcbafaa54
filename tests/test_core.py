"""End-to-end behaviour of the static core on small hand-written configs."""

from __future__ import annotations

import json

from hnet_lint.api import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE

from .conftest import MODEL_1STAGE


def codes(report):
    return [(d.code, d.span.line, d.span.column) for d in report.active]


def test_clean_native_config_has_no_findings(lint_text):
    report = lint_text({
        "run.yaml": """\
            model: model.json
            routing: {target_ratio: [6.0], ratio_loss_weight: 0.03}
            optimizer: {lr: 2.0e-4, lr_multiplier: [2.0, 1.0], betas: [0.9, 0.95]}
            schedule: {warmup_steps: 500, total_steps: 10000}
            training: {seq_len: 8192, grad_clip: 1.0, autocast_dtype: bfloat16}
            """,
        "model.json": json.dumps(MODEL_1STAGE),
    })
    assert [d.code for d in report.active if d.severity.label != "info"] == []
    assert report.exit_code() == EXIT_CLEAN


def test_unknown_key_suggests_the_closest_valid_key(lint_text):
    report = lint_text({"run.yaml": "model: model.json\noptimizer:\n  lrr: 2.0e-4\n",
                        "model.json": json.dumps(MODEL_1STAGE)})
    diag = next(d for d in report.active if d.code == "HNL006")
    assert (diag.span.line, diag.span.column) == (3, 3)
    assert "did you mean 'lr'?" in diag.message
    assert diag.key == "optimizer.lrr"


def test_yaml_sci_float_is_warned_and_still_checked(lint_text):
    report = lint_text({"run.yaml": "model: model.json\noptimizer:\n  lr: 2e-4\n"
                                    "  lr_multiplier: [2.0, 1.0]\n",
                        "model.json": json.dumps(MODEL_1STAGE)})
    assert ("HNL002", 3, 7) in codes(report)
    assert "2.0e-4" in next(d.message for d in report.active if d.code == "HNL002")


def test_duplicate_keys_are_compared_after_resolution(lint_text):
    report = lint_text({"run.yaml": "model: m.json\ntrue: 1\nyes: 2\n",
                        "m.json": json.dumps(MODEL_1STAGE)})
    dup = [d for d in report.active if d.code == "HNL001"]
    assert [(d.span.line, d.span.column) for d in dup] == [(3, 1)]


def test_findings_in_a_referenced_model_point_into_that_file(lint_text):
    model = dict(MODEL_1STAGE, d_model=[256])
    report = lint_text({"run.yaml": "model: model.json\n",
                        "model.json": json.dumps(model, indent=1)})
    short = next(d for d in report.active if d.code == "HNL103")
    assert short.span.file == "model.json"
    assert short.key == "d_model"


def test_flat_comma_multipliers_and_defaults(lint_text):
    report = lint_text({"hp.json": json.dumps({"model_config": "model.json",
                                                "lr_multipliers": "3.0,1.7,0.9"}),
                        "model.json": json.dumps(MODEL_1STAGE)})
    found = {d.code: d for d in report.active}
    assert "HNL203" in found  # three multipliers for a 1-stage model
    # hierarchical-hnet reads these with ['key']: without them the launch fails
    missing = {d.path[-1] for d in report.active if d.code == "HNL008"}
    assert {"num_training_steps", "gradient_accumulation_steps", "learning_rate"} <= missing
    # a finding about a value the file did not write names the profile and the default
    assert "hierarchical-hnet@d28b7c4 default 0.01; not set in the file" in \
        found["HNL403"].message
    assert "HNL301" not in found  # no other trainer's 2000-of-100000 warmup is invented


def test_parse_error_exits_2_with_position(lint_text):
    report = lint_text({"bad.yaml": "model: [1, 2\noptimizer: 3\n"})
    diag = report.active[0]
    assert diag.code == "HNL000" and diag.span.line == 2
    assert report.exit_code() == EXIT_USAGE


def test_missing_file_is_an_input_error(lint_text, tmp_path):
    report = lint_text({"run.yaml": "model: nowhere.json\ntraining: {grad_clip: 1.0}\n"})
    assert [d.code for d in report.active] == ["HNL701"]
    assert "nowhere.json" in report.active[0].message
    assert report.exit_code() == EXIT_FINDINGS


def test_inline_suppression_and_unused_suppression(lint_text):
    report = lint_text({"run.yaml": """\
        model: m.json
        generation:
          temperature: 0  # hnet-lint: ignore[HNL601] probing nan handling
          top_p: 0.5  # hnet-lint: ignore[HNL602]
        """, "m.json": json.dumps(MODEL_1STAGE)})
    suppressed = [d for d in report.diagnostics if d.suppressed]
    assert [d.code for d in suppressed] == ["HNL601"]
    assert suppressed[0].data["suppression_reason"] == "probing nan handling"
    assert ("HNL010", 4, 15) in codes(report)
