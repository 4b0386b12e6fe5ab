# Supervised toy on the Fashion-MNIST scenes (composited from real items, 128 x 128, 11 classes) with a pretrained
# backbone, the analogue of the papers' ImageNet weights: the FCN toy whose narrow ResNet-18-V1c starts from its
# Fashion-MNIST classification training (resnet18-v1c-w16_1xb128-5e_fashion-mnist-56px_cls-pretrain.py), so that
# batch-norm statistics and filters are not learnt from scratch in the semi-supervised methods' mixed batches.
# All 1,000 training scenes labelled: the oracle of the semi-supervised scene toys. Fewer labels (supervised-only
# rows, label-fraction sweep): --cfg-options train_dataloader.dataset.indices=N (the first N scenes; they are i.i.d.).
# The classification checkpoint is made weights-only first (init_cfg loads with weights_only=True):
#   python tools/misc/publish_model.py \
#       work_dirs/resnet18-v1c-w16_1xb128-5e_fashion-mnist-56px_cls-pretrain/epoch_5.pth \
#       work_dirs/resnet18-v1c-w16_1xb128-5e_fashion-mnist-56px_cls-pretrain/epoch_5.pth
_base_ = '../sdn/fcn_r18-w16-d8_1xb8-4k_fashion-mnist-scenes-128x128.py'

backbone_checkpoint = 'work_dirs/resnet18-v1c-w16_1xb128-5e_fashion-mnist-56px_cls-pretrain/epoch_5.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=backbone_checkpoint, prefix='backbone.')))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
