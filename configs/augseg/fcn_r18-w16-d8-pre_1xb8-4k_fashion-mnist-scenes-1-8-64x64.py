# Supervised-only row of the semi-supervised scene protocol at 1/8 labels: the 64 x 64 scene toy
# (fcn_r18-w16-d8-pre_1xb8-4k_fashion-mnist-scenes-64x64.py) trained on the first 125 of the 1,000 training scenes.
_base_ = './fcn_r18-w16-d8-pre_1xb8-4k_fashion-mnist-scenes-64x64.py'

num_labeled = _base_.num_images // 8
train_dataloader = dict(dataset=dict(indices=list(range(num_labeled))))
