# Table 5, lambda = 0: only L_match (the same run as t4_match_only). Paper: 67.6.
_base_ = ['./toy_t4_match_only.py']
