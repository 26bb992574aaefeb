# Table 6, sequential, 3 rounds of stages 2 -> 3 (best_stage3_round3.pth).
# Paper: 68.4.
# The 2-round row plus a third round (8 GPUs); all rows: README.md here.
_base_ = ['./semples-2rounds_weaktr-deit-s_8xb8-5x60e_voc-224.py']
train_cfg = dict(stages=_base_.train_cfg.stages +
                 [_base_.voc_stage2, _base_.voc_stage3_next_round])
