# Table 6, sequential, 1 round of stages 2 -> 3 (the default). Paper: 68.7.
# A delta on the main VOC config (8 GPUs); rows: configs/semples/ablations/README.md.
_base_ = ['./_base_/voc_stages.py']
