# Every semples_mmseg config inherits this file: it registers the plug-in into
# mmseg's registries (so mmseg's own tools/train.py works) and takes mmseg's
# default runtime unchanged.
_base_ = ['mmseg::_base_/default_runtime.py']

custom_imports = dict(imports=['semples_mmseg'], allow_failed_imports=False)
