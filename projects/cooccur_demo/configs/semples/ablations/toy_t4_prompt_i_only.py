# Table 4 row 4: prompts learned with L_prompt^I only (lambda_T = 0). Paper: 67.9.
# A delta on ../toy_cooccur.py; run by tools/ablate.py.
_base_ = ['./_base_/toy_stages.py']
model = dict(prompt_loss=dict(lambda_t=0.0))
