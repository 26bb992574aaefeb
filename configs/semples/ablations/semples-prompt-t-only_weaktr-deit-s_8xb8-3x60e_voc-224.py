# Table 4 row 3: prompts learned with L_prompt^T only (lambda_I = 0).
# Paper: 67.7.
# A delta on ../weaktr_voc.py (8 GPUs); all rows: README.md here.
_base_ = ['./_base_/voc_stages.py']
model = dict(prompt_loss=dict(lambda_i=0.0))
