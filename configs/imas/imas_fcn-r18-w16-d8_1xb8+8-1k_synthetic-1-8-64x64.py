# iMAS toy: the AugSeg toy (augseg_fcn-r18-w16-d8_1xb8+8-1k_synthetic-1-8-64x64.py: the SDN toy FCN as student and
# EMA teacher, 8 labelled of the first 50 + 8 unlabelled of the other 350 images per step, 1k iterations on one CPU,
# teacher evaluated) with iMAS's unsupervised branch instead of AugSeg's: hardness-weighted loss (lambda_u 3, tau 0.95),
# 2 of 12 intensity ops blended with the weak view by hardness, CutMix gated by the mean hardness. The toy EMA
# (d0 = 0.99) and optimiser stay the AugSeg toy's, so the two toys differ only in the algorithm.
_base_ = '../augseg/augseg_fcn-r18-w16-d8_1xb8+8-1k_synthetic-1-8-64x64.py'

model = dict(type='IMAS', semi_train_cfg=dict(unsup_weight=3.0))
