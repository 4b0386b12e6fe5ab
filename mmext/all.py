"""The ``mmext.all`` entry: registers every mmext component, for configs that want one line.

It imports every host library mmext serves; a config that needs one host should name that host's entry instead
(``mmext.seg``, ``mmext.pretrain``, ``mmext.emotion``, ``mmext.ops``), which loads less.
"""
import importlib

ENTRIES = ('mmext.ops', 'mmext.seg', 'mmext.pretrain', 'mmext.emotion')

for _entry in ENTRIES:
    importlib.import_module(_entry)
