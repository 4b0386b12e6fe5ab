SAMPLES = {
    'mmpretrain.BATViT': dict(
        type='BATViT', arch=dict(embed_dims=24, num_layers=4, num_heads=2, feedforward_channels=48), img_size=32,
        patch_size=8, keep_rate=0.7, reduce_layers=(1, 2)),
    'mmpretrain.KeepRateWarmupHook': dict(type='KeepRateWarmupHook', start_epoch=1, warmup_epochs=2),
}
