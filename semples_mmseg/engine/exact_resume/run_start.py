"""What the start of a run records and a resumed run checks: the stage
schedule and the checkpoint choice (``run_signature.py``), and this run's
initial CAM weights (``cam_init_file.py``)."""
from typing import Optional, Sequence

from torch import nn

from .cam_init_file import read_run_cam_init, start_run_cam_init
from .run_signature import check_resumed_run, record_run


def start_or_resume(runner, *, epoch: int, stages: Sequence, starts:
                    Sequence[int], choice: dict,
                    cam_net: Optional[nn.Module]) -> None:
    """Epoch 0: record ``stages`` (``StageSpec``) and ``choice``; write
    ``cam_net``'s weights as this run's initial ones (None: the run reads
    ``train_cfg.cam_init_checkpoint`` instead). Resumed at ``epoch``: stop
    on another schedule or choice, and on a missing or foreign initial-
    weights file when a stage still to come (``starts``) starts from it."""
    if epoch == 0:
        record_run(runner.message_hub, stages, choice)
        if cam_net is not None:
            start_run_cam_init(runner, cam_net)
        return
    check_resumed_run(runner.message_hub, stages, choice)
    if cam_net is not None and any(
            spec.start_from == 'initial' and start >= epoch
            for spec, start in zip(stages, starts)):
        read_run_cam_init(runner)
