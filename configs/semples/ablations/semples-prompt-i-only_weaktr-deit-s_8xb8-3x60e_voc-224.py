# Table 4 row 4: prompts learned with L_prompt^I only (lambda_T = 0).
# Paper: 67.9.
# A delta on ../weaktr_voc.py (8 GPUs); all rows: README.md here.
_base_ = ['./_base_/voc_stages.py']
model = dict(prompt_loss=dict(lambda_t=0.0))
