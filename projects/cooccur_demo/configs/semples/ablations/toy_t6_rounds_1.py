# Table 6, sequential, 1 round of stages 2 -> 3 (the default). Paper: 68.7.
# A delta on ../toy_cooccur.py; run by tools/ablate.py.
_base_ = ['./_base_/toy_stages.py']
