# Table 4 row 5: L_match + L_prompt^T + L_prompt^I + L_refine (SemPLeS). Paper: 68.7.
# A delta on ../toy_cooccur.py; run by tools/ablate.py.
_base_ = ['./_base_/toy_stages.py']
