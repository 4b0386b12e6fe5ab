_TEACHER = dict(type='CLIPTeacher', arch=dict(input_resolution=32, patch_size=8, width=64, layers=1, heads=1,
                                              output_dim=16))
_NECK = dict(type='CAEv2Neck', in_dims=32, embed_dims=16, out_dims=16, regressor_depth=1, num_heads=2,
             num_patches=16)

SAMPLES = {
    'mmpretrain.CAEv2': dict(
        type='CAEv2',
        backbone=dict(type='CAEPretrainViT', arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                                                       feedforward_channels=64), img_size=32, patch_size=8,
                      layer_scale_init_value=0.1),
        neck=_NECK, head=dict(type='CAEv2Head'), target_generator=_TEACHER),
    'mmpretrain.CAEv2Neck': _NECK,
    'mmpretrain.CAEv2Head': dict(type='CAEv2Head', supervise=('visible', 'masked')),
    'mmpretrain.CLIPTeacher': _TEACHER,
    'mmpretrain.CAEv2ViT': dict(type='CAEv2ViT', arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                                                           feedforward_channels=64),
                                img_size=32, patch_size=8, use_abs_pos_emb=True, use_rel_pos_bias=True),
    'mmpretrain.BlockwiseMaskGenerator': dict(type='BlockwiseMaskGenerator', input_size=(4, 4), num_masking_patches=4,
                                              min_num_patches=2),
}
SAMPLES['mmpretrain.TorchvisionTeacher'] = dict(type='TorchvisionTeacher', arch='mobilenet_v2', stage='features.3',
                                                token_grid=(2, 2))
