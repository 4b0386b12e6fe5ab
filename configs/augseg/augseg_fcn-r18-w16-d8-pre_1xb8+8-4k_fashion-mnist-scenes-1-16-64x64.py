# AugSeg on the 64 x 64 Fashion-MNIST scene toy (composited from real items) at 1/16 labels: the 1/8 config
# (augseg_fcn-r18-w16-d8-pre_1xb8+8-4k_fashion-mnist-scenes-1-8-64x64.py: same pretrained FCN, AugSeg defaults, batch,
# 4k iterations, d0) with the first 62 scenes labelled, the other 938 unlabelled, and the EMA copy phase of one epoch
# over those; its supervised-only row is fcn_r18-w16-d8-pre_1xb8-4k_fashion-mnist-scenes-1-16-64x64.py.
_base_ = './augseg_fcn-r18-w16-d8-pre_1xb8+8-4k_fashion-mnist-scenes-1-8-64x64.py'

num_labeled = _base_.num_images // 16
iters_per_epoch = (_base_.num_images - num_labeled) // _base_.batch_unlabeled
labeled = dict(_base_.labeled, indices=list(range(num_labeled)))
unlabeled = dict(_base_.unlabeled, indices=list(range(num_labeled, _base_.num_images)))
train_dataloader = dict(dataset=dict(datasets=[labeled, unlabeled]))
custom_hooks = [dict(type='MeanTeacherEMAHook', momentum=0.01, copy_until_iter=iters_per_epoch)]
