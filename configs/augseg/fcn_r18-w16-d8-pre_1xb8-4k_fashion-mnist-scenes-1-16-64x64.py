# Supervised-only row of the semi-supervised scene protocol at 1/16 labels: the 64 x 64 scene toy
# (fcn_r18-w16-d8-pre_1xb8-4k_fashion-mnist-scenes-64x64.py) trained on the first 62 of the 1,000 training scenes,
# the labelled images of augseg_fcn-r18-w16-d8-pre_1xb8+8-4k_fashion-mnist-scenes-1-16-64x64.py.
_base_ = './fcn_r18-w16-d8-pre_1xb8-4k_fashion-mnist-scenes-64x64.py'

num_labeled = _base_.num_images // 16
train_dataloader = dict(dataset=dict(indices=list(range(num_labeled))))
