# Table 4 row 3: prompts learned with L_prompt^T only (lambda_I = 0). Paper: 67.7.
# A delta on the main VOC config (8 GPUs); rows: configs/semples/ablations/README.md.
_base_ = ['./_base_/voc_stages.py']
model = dict(prompt_loss=dict(lambda_i=0.0))
