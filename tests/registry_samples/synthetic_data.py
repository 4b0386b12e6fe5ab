SAMPLES = {
    'mmseg.SyntheticShapesDataset': dict(
        type='SyntheticShapesDataset', data_root='{tmp}/seg', split='val', num_samples=2, image_size=32),
    'mmpretrain.SyntheticShapesClassification': dict(
        type='SyntheticShapesClassification', data_root='{tmp}/cls', split='val', num_samples=10, image_size=32),
}
