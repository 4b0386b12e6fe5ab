_NORM = dict(type='BN', requires_grad=True)
_SEGMENTOR = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                           bgr_to_rgb=True, size=(32, 32)),
    backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8, norm_cfg=_NORM),
    decode_head=dict(type='FCNHead', in_channels=64, channels=8, num_convs=1, num_classes=3, norm_cfg=_NORM))

SAMPLES = {
    'mmseg.SemiBaseSegmentor': dict(type='SemiBaseSegmentor', segmentor=_SEGMENTOR),
    'mmseg.AugSeg': dict(type='AugSeg', segmentor=_SEGMENTOR, semi_train_cfg=dict(tau=0.9)),
    'mmseg.MultiBranchSegDataPreprocessor': dict(
        type='MultiBranchSegDataPreprocessor', data_preprocessor=_SEGMENTOR['data_preprocessor']),
    'mmseg.RandomIntensityAug': dict(type='RandomIntensityAug', max_ops=2),
    'mmseg.MeanTeacherEMAHook': dict(type='MeanTeacherEMAHook', momentum=0.004, copy_until_iter=10),
    'mmseg.KeptPixelCrossEntropyLoss': dict(type='KeptPixelCrossEntropyLoss', loss_weight=0.4),
    'mmseg.DeepLabV3PlusHead': dict(type='DeepLabV3PlusHead', in_channels=16, in_index=3, channels=8,
                                    c1_in_channels=4, c1_channels=2, dilations=(1, 2), num_classes=3),
}
