# Registers semples_mmseg into mmseg's registries when a config is built.
# Configs that inherit a stock mmseg config (mmseg::...) take this file
# instead of semples_runtime.py, whose runtime keys they already have.
# semples_mmseg.registration stops with an explanation when 'semples_mmseg'
# resolved to a clone's folder instead of the package (see that module).
custom_imports = dict(
    imports=['semples_mmseg', 'semples_mmseg.registration'],
    allow_failed_imports=False)
