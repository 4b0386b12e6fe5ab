# OMG-Emotion (challenge CSVs + utterance videos under data_root; the data is research-only and never downloaded by
# mmext). Layout as the challenge's prepare_data.py writes it, with a WAV beside each utterance
# (ffmpeg -i utterance_k.mp4 -vn -ac 1 -acodec pcm_s16le utterance_k.wav). Features are cached once with
#   python tools/emotion/extract_features.py CONFIG --split train --fit-stats
#   python tools/emotion/extract_features.py CONFIG --split val
dataset_type = 'OMGEmotionDataset'
data_root = 'data/omg_emotion'
stats_file = 'data/omg_emotion/features/minmax_stats.npz'
feature_keys = ('visual', 'audio', 'text')

# Offline substitutes of the paper's extractors (see docs/emotion.md): Haar-cascade faces -> 20 frames -> HOG
# (1764-d); numpy acoustic functionals (482-d; backend='opensmile' gives the paper's IS10, 1582-d); lexicon counts
# of the utterance and its video (14-d).
extract_pipeline = [
    dict(type='ExtractFaceCrops', backend='haar', num_frames=20, crop_size=64),
    dict(type='FaceHOG'),
    dict(type='AudioFunctionals', backend='numpy'),
    dict(type='LexiconFeatures', lexicons=('vader', 'afinn', 'textblob'), video_context=True),
]
pipeline = [
    dict(type='LoadCachedFeatures', keys=feature_keys),
    dict(type='MinMaxNormalize', stats_file=stats_file, keys=feature_keys),
    dict(type='PackMultiModalInputs', keys=feature_keys),
]
train_dataloader = dict(
    batch_size=300,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='omg_TrainVideos.csv',
        transcript_file='omg_TrainTranscripts.csv',
        video_path_tmpl='Videos/Train/{video}/{utterance}',
        wav_path_tmpl='Videos/Train/{video}/{stem}.wav',
        cache_dir='features/Train',
        faceless='drop',
        pipeline=pipeline))
val_dataloader = dict(
    batch_size=300,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='omg_ValidationVideos.csv',
        transcript_file='omg_ValidationTranscripts.csv',
        video_path_tmpl='Videos/Validation/{video}/{utterance}',
        wav_path_tmpl='Videos/Validation/{video}/{stem}.wav',
        cache_dir='features/Validation',
        faceless='drop',
        pipeline=pipeline))
# Paper parity: the authors select and report on the validation set.
test_dataloader = val_dataloader
val_evaluator = dict(type='CCCMetric', mode='pooled')
test_evaluator = val_evaluator
