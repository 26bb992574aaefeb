# Registers semples_mmseg into mmseg's registries when a config is built.
# Configs that inherit a stock mmseg config (mmseg::...) take this file
# instead of semples_runtime.py, whose runtime keys they already have.
custom_imports = dict(imports=['semples_mmseg'], allow_failed_imports=False)
