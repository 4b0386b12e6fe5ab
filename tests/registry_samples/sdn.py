SAMPLES = {
    'mmengine.SemanticDiffConv2d': dict(type='SemanticDiffConv2d', in_channels=4, out_channels=4),
    'mmseg.SDNNeck': dict(type='SDNNeck', in_channels=[4, 8], norm_cfg=dict(type='BN')),
    'mmseg.SequentialNeck': dict(
        type='SequentialNeck',
        necks=[dict(type='SDNNeck', in_channels=[4, 8], norm_cfg=dict(type='BN')),
               dict(type='FPN', in_channels=[4, 8], out_channels=4, num_outs=2)]),
    'mmseg.BoundaryMetric': dict(type='BoundaryMetric'),
}
