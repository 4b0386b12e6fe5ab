# iMAS on the 64 x 64 Fashion-MNIST scene toy (composited from real items) at 1/8 labels: the AugSeg scene toy
# (augseg_fcn-r18-w16-d8-pre_1xb8+8-4k_fashion-mnist-scenes-1-8-64x64.py: same pretrained FCN, data, batch, 4k
# iterations, EMA) with iMAS's unsupervised branch and its defaults (hardness-weighted loss, lambda_u 3, tau 0.95,
# 2 of 12 intensity ops blended with the weak view by hardness, CutMix gated by the mean hardness), so the two toys
# differ only in the algorithm.
_base_ = '../augseg/augseg_fcn-r18-w16-d8-pre_1xb8+8-4k_fashion-mnist-scenes-1-8-64x64.py'

model = dict(type='IMAS', semi_train_cfg=dict(unsup_weight=3.0))
