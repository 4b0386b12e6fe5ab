from mmext.utils.scenes import write_placeholder_items

SAMPLES = {
    'mmseg.SyntheticShapesDataset': dict(
        type='SyntheticShapesDataset', data_root='{tmp}/seg', split='val', num_samples=2, image_size=32),
    'mmseg.FashionMNISTScenes': dict(
        type='FashionMNISTScenes', data_root='{tmp}/scenes', items_root='{tmp}/items', split='val', num_samples=2,
        image_size=64),
    'mmpretrain.SyntheticShapesClassification': dict(
        type='SyntheticShapesClassification', data_root='{tmp}/cls', split='val', num_samples=10, image_size=32),
}
# Called with the test's temporary folder before the sample is built.
SETUP = {'mmseg.FashionMNISTScenes': lambda tmp: write_placeholder_items(f'{tmp}/items')}
