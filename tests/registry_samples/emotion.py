import torch

# Schedulers are built around an optimizer.
_OPTIMIZER = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)

SAMPLES = {
    'mmext.MultiModalDataPreprocessor': dict(type='MultiModalDataPreprocessor'),
    'mmext.MLPEncoder': dict(type='MLPEncoder', in_dim=8, out_dim=4),
    'mmext.SeqLSTMEncoder': dict(type='SeqLSTMEncoder', in_dim=8, hidden=4, out_dim=4),
    'mmext.ConcatFusion': dict(type='ConcatFusion', in_dims=[4, 4]),
    'mmext.LateFusion': dict(type='LateFusion', in_dims=[4, 4], targets=('valence', )),
    'mmext.AffectRegressionHead': dict(type='AffectRegressionHead', in_dim=8, hidden_dim=4),
    'mmext.MSELoss': dict(type='MSELoss'),
    'mmext.CCCLoss': dict(type='CCCLoss'),
    'mmext.MultiModalAffectRegressor': dict(
        type='MultiModalAffectRegressor',
        encoders=dict(visual=dict(type='SeqLSTMEncoder', in_dim=8, hidden=4, out_dim=4),
                      audio=dict(type='MLPEncoder', in_dim=6, out_dim=4)),
        head=dict(type='AffectRegressionHead', hidden_dim=4)),
    'mmext.CCCMetric': dict(type='CCCMetric', mode='per_video'),
    'mmext.InverseTimeLR': dict(type='InverseTimeLR', optimizer=_OPTIMIZER, decay=1e-3, by_epoch=False),
    'mmext.InverseTimeParamScheduler': dict(
        type='InverseTimeParamScheduler', optimizer=_OPTIMIZER, param_name='momentum', decay=1e-3),
    # The annotation CSVs are read on full_init; lazy_init builds without data.
    'mmext.OMGEmotionDataset': dict(type='OMGEmotionDataset', ann_file='{tmp}/omg_TrainVideos.csv', lazy_init=True),
    'mmext.LoadCachedFeatures': dict(type='LoadCachedFeatures'),
    'mmext.MinMaxNormalize': dict(type='MinMaxNormalize', stats_file='{tmp}/minmax_stats.npz'),
    'mmext.PackMultiModalInputs': dict(type='PackMultiModalInputs'),
    'mmext.ExtractFaceCrops': dict(type='ExtractFaceCrops', backend='haar'),
    'mmext.FaceHOG': dict(type='FaceHOG'),
    'mmext.AudioFunctionals': dict(type='AudioFunctionals'),
    'mmext.LexiconFeatures': dict(type='LexiconFeatures', lexicons=('vader', )),
    'mmext.SentenceEmbedding': dict(type='SentenceEmbedding'),
}
