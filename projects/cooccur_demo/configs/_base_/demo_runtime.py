# The library's runtime, with the demo's package registered too
# (CooccurWorldDataset, HomeSceneImagePrompts): the imports of
# configs/_base_/semples_imports.py plus 'cooccur_demo'.
_base_ = ['../../../../configs/_base_/semples_runtime.py']
custom_imports = dict(
    imports=['semples_mmseg', 'cooccur_demo'],
    allow_failed_imports=False)
