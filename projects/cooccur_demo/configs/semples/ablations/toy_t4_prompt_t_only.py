# Table 4 row 3: prompts learned with L_prompt^T only (lambda_I = 0). Paper: 67.7.
# A delta on ../toy_cooccur.py; run by tools/ablate.py.
_base_ = ['./_base_/toy_stages.py']
model = dict(prompt_loss=dict(lambda_i=0.0))
