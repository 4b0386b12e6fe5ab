# Fashion-MNIST as mmpretrain's own FashionMNIST reads it (the raw IDX files in data_root, which
# tools/dataset_converters/fashion_mnist.py provides offline): the training split for training, all 10,000 test
# images for validation and test. Configs add their pipelines (and train_dataloader.dataset.indices for a subset).
dataset_type = 'FashionMNIST'
data_root = 'data/fashion_mnist'
train_dataloader = dict(
    batch_size=128,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', download=False))
val_dataloader = dict(
    batch_size=500,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', test_mode=True, download=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
