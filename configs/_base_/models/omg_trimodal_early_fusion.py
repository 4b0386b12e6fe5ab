# Deng et al. (arXiv 1805.00625): visual LSTM + audio MLP + text MLP, 256-d each, concatenated -> 1024 -> 1.
# Input widths are those of mmext's offline extractors (HOG 1764, numpy functionals 482, three lexicons 14); the
# paper's are 4805 (VGG-Face fc6 + OpenFace), 1582 (openSMILE IS10) and 10 (Bing Liu + MPQA).
model = dict(
    type='MultiModalAffectRegressor',
    data_preprocessor=dict(type='MultiModalDataPreprocessor'),
    encoders=dict(
        visual=dict(type='SeqLSTMEncoder', in_dim=1764, pool=2, hidden=64, out_dim=256, dropout=0.5),
        audio=dict(type='MLPEncoder', in_dim=482, out_dim=256, dropout=0.5),
        text=dict(type='MLPEncoder', in_dim=14, out_dim=256, dropout=0.5)),
    fusion=dict(type='ConcatFusion'),
    head=dict(
        type='AffectRegressionHead', hidden_dim=1024, dropout=0.5, targets=('arousal', ),
        loss=dict(type='MSELoss')))
