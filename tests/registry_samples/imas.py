SAMPLES = {
    'mmseg.IMAS': dict(
        type='IMAS',
        segmentor=dict(
            type='EncoderDecoder',
            data_preprocessor=dict(type='SegDataPreProcessor', size=(32, 32)),
            backbone=dict(type='ResNetV1c', depth=18, stem_channels=8, base_channels=8),
            decode_head=dict(type='FCNHead', in_channels=64, channels=8, num_convs=1, num_classes=3)),
        semi_train_cfg=dict(tau=0.9, adaptive_magnitude=True, cutmix=dict(prob=0.5))),
}
