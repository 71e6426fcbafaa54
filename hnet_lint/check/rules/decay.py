"""Weight decay on parameters that should not decay (code HNL403)."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..engine import RuleContext, rule
from ...load.runconfig import RunConfig
from ._util import fmt_num


def official_decayed(name: str) -> bool:
    """goombalab/hnet ``group_params``: every parameter decays unless its name ends in
    ``.bias`` or contains ``.norm.`` (it ignores Mamba's ``_no_weight_decay`` marks)."""
    return not (name.endswith(".bias") or ".norm." in name)


def should_not_decay(name: str, shape: tuple[int, ...]) -> bool:
    """Mamba's SSM parameters, 1-D gains and the zero-initialised pad, as Mamba marks them
    (``_no_weight_decay``) and as every mainstream trainer exempts gains."""
    leaf = name.rsplit(".", 1)[-1]
    return leaf in ("A_log", "dt_bias", "D", "pad_dimension") or (
        len(shape) == 1 and leaf == "weight")


@rule("HNL403", "decay-on-ssm-and-norm-params", Severity.WARNING, "dtype")
def decay_on_ssm_and_norms(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Weight decay applied to `A_log`, `dt_bias`, `D`, norm gains and `pad_dimension`.

    ## Why it matters
    The official `group_params` exempts only names ending in `.bias` or containing `.norm.`.
    `mixer.dt_bias` does not end in `.bias`, `A_log` and `D` match neither, and H-Net's norms
    are named `norm1`, `norm2` and `rmsnorm`, so with `weight_decay > 0` all of them decay
    toward zero: the SSM's decay rates and step sizes drift and the gains shrink. Mamba
    marks `A_log`, `dt_bias` and `D` `_no_weight_decay`; `group_params` ignores the mark.
    hierarchical-hnet's trainer groups parameters this way and, in every version
    (`scripts/train.py` `setup_optimizer`, d792a0e to 884a517), builds
    `AdamW(param_groups, betas=...)` without `weight_decay`: the coefficient is AdamW's
    default 0.01 whatever the file says, and the finding quotes it. In a native config say
    `optimizer.grouping: official`. The dry-run (HNL806) checks the optimizer you really
    build, and `hnet_lint.inspect` checks your own.

    ## Example
    ```yaml
    optimizer: {weight_decay: 0.1, grouping: official}
    ```

    ## Use instead
    ```yaml
    optimizer: {weight_decay: 0.1, grouping: corrected}   # exempt A_log, dt_bias, D, gains, pad
    ```
    """
    opt = run.optimizer
    if run.model is None or opt is None or opt.grouping != "official":
        return
    if not opt.weight_decay or opt.weight_decay <= 0:
        return
    from ...modelinfo import param_shapes  # pure Python, no torch

    try:
        shapes = param_shapes(run.model.model_dump())
    except ValueError:
        return  # an unbuildable model: the architecture rules say why
    wrong = [name for name, shape in shapes.items()
             if official_decayed(name) and should_not_decay(name, shape)]
    if not wrong:
        return
    kinds = sorted({name.rsplit(".", 2)[-2] + "." + name.rsplit(".", 1)[-1]
                    if name.endswith(".weight") else name.rsplit(".", 1)[-1] for name in wrong})
    profile = getattr(run, "trainer", None)
    fixed = getattr(profile, "fixed_weight_decay", None)
    if profile is not None and fixed is not None:
        # The trainer never passes weight_decay: AdamW's default is what really decays.
        message = (f"{profile.label} builds AdamW without weight_decay, so every tensor but "
                   f"*.bias and *.norm.* decays at AdamW's default {fmt_num(fixed)} whatever "
                   f"the file says, including {len(wrong)} tensors that should not decay "
                   f"({', '.join(kinds)})")
        yield ctx.at(("optimizer", "weight_decay"), message,
                     data={"tensors": len(wrong), "kinds": kinds, "coefficient": fixed,
                           "profile": profile.label})
        return
    how = (f"{profile.label} groups parameters with the official group_params"
           if profile is not None else "with the official group_params")
    yield ctx.at(("optimizer", "weight_decay"),
                 f"{how}, weight_decay {fmt_num(opt.weight_decay)} also decays {len(wrong)} "
                 f"tensors that should not decay ({', '.join(kinds)}); exempt them",
                 data={"tensors": len(wrong), "kinds": kinds})
