# Table 4 row 5: L_match + L_prompt^T + L_prompt^I + L_refine (SemPLeS). Paper: 68.7.
# A delta on the main VOC config (8 GPUs); rows: configs/semples/ablations/README.md.
_base_ = ['./_base_/voc_stages.py']
