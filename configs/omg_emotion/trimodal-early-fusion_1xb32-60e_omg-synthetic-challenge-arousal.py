# The challenge workflow end to end on synthetic data laid out exactly as the challenge's prepare_data.py lays out
# the real data (H.264 + AAC utterance videos and no WAV under Videos/{Train,Validation,Test}/{video}/, the
# unlabelled omg_TestVideos_WithoutLabels.csv), from media to a submission CSV (configs/omg_emotion/README.md):
#   python tools/emotion/make_synthetic_omg.py data/omg_synthetic_challenge --layout prepare_data --test-videos 12
#   python tools/emotion/extract_audio.py CONFIG --split train   (then --split val, --split test)
#   python tools/emotion/extract_features.py CONFIG --split train --fit-stats   (then --split val, --split test)
#   python tools/train.py CONFIG   (and the valence config)
#   python tools/emotion/make_submission.py --model CONFIG ARO.pth --model VALENCE_CONFIG VAL.pth --out sub.csv \
#       --gold data/omg_synthetic_challenge/omg_TestVideos_WithLabels.csv
# Model and schedule of the toy config; validation and test keep every row (faceless utterances masked).
_base_ = './trimodal-early-fusion_1xb32-60e_omg-synthetic-arousal.py'
data_root = 'data/omg_synthetic_challenge'
stats_file = 'data/omg_synthetic_challenge/features/minmax_stats.npz'
feature_keys = ('visual', 'audio', 'text')
pipeline = [
    dict(type='LoadCachedFeatures', keys=feature_keys),
    dict(type='MinMaxNormalize', stats_file=stats_file, keys=feature_keys),
    dict(type='PackMultiModalInputs', keys=feature_keys),
]
train_dataloader = dict(dataset=dict(data_root=data_root, pipeline=pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=pipeline, faceless='keep'))
test_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        pipeline=pipeline,
        ann_file='omg_TestVideos_WithoutLabels.csv',
        transcript_file='omg_TestTranscripts.csv',
        video_path_tmpl='Videos/Test/{video}/{utterance}',
        wav_path_tmpl='Videos/Test/{video}/{stem}.wav',
        cache_dir='features/Test',
        faceless='keep',
        test_mode=True))
test_evaluator = dict(type='CCCMetric', out_csv='work_dirs/omg_synthetic_test_predictions_arousal.csv')
# Keras' min_delta, as the paper configs (the toy config keeps the 1e-3 its table was measured with).
custom_hooks = [dict(type='EarlyStoppingHook', monitor='omg/mean_mse', rule='less', patience=20, min_delta=0)]
