"""Small build configs, one per class mmext registers, for tests/test_registry.py.

Each module here defines ``SAMPLES = {'<scope>.<RegisteredName>': dict(type='<RegisteredName>', ...)}`` where scope
is the registry's scope (``mmseg``, ``mmpretrain``, ``mmengine`` for MMEngine's root registries, ``mmext``). The
string ``'{tmp}'`` in a value is replaced by a temporary directory (data roots of generated data sets). A module may
also define ``SETUP = {'<scope>.<RegisteredName>': callable(tmp)}``, called before that sample is built (e.g. to
write the placeholder items a data set reads).
"""
