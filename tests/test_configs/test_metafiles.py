"""Each method's metafile.yml follows OpenMMLab's model-index format, lists the method's configs, and claims Results
only for what mmext measured: a released checkpoint (Weights) or a run on data mmext generates or provides offline."""
import glob
import os.path as osp

import pytest
import yaml

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METAFILES = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', '*', 'metafile.yml')))
IDS = [osp.basename(osp.dirname(p)) for p in METAFILES]
# Data mmext generates or provides offline, so its toy runs are measured here (Fashion-MNIST: make data).
EMBEDDED_DATA = ('SyntheticShapes', 'SyntheticOMG', 'FashionMNIST')


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def training_data(model, collections):
    data = model.get('Metadata', {}).get('Training Data') or collections.get(model['In Collection'], {}).get(
        'Metadata', {}).get('Training Data')
    return [data] if isinstance(data, str) else list(data or [])


@pytest.mark.parametrize('path', METAFILES, ids=IDS)
def test_metafile_format_and_configs(path):
    index = load(path)
    collections = {c['Name']: c for c in index['Collections']}
    models = index['Models']
    assert models, 'a metafile lists at least one model'
    for model in models:
        assert model['In Collection'] in collections, model['Name']
        assert osp.isfile(osp.join(REPO_ROOT, model['Config'])), model['Config']
        assert model['Name'] == osp.splitext(osp.basename(model['Config']))[0]


@pytest.mark.parametrize('path', METAFILES, ids=IDS)
def test_results_are_only_what_mmext_measured(path):
    index = load(path)
    collections = {c['Name']: c for c in index['Collections']}
    for model in index['Models']:
        if not model.get('Results'):
            continue
        embedded = all(any(tag in d for tag in EMBEDDED_DATA) for d in training_data(model, collections))
        assert 'Weights' in model or embedded, (
            f"{model['Name']}: Results without Weights on data mmext cannot train here; paper numbers belong in the "
            'README table, labelled as the paper\'s')


def test_every_method_has_a_metafile():
    methods = {osp.basename(osp.dirname(p)) for p in glob.glob(osp.join(REPO_ROOT, 'configs', '*', '*.py'))}
    assert methods - {'_base_', 'demo'} <= set(IDS)
