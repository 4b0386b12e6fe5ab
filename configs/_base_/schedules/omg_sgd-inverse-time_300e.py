# The authors' Keras SGD(lr=1e-3, momentum=0.9, nesterov=True, decay=1e-3): lr_t = 1e-3 / (1 + 1e-3 t), t = iteration.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, nesterov=True))
param_scheduler = dict(type='InverseTimeLR', decay=1e-3, by_epoch=False)
train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
val_cfg = dict()
test_cfg = dict()
