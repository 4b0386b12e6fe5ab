# Clean protocol: early stopping and checkpoint selection on 15 % of the *training* videos (video-disjoint); the
# official validation set is only the test set (python tools/test.py CONFIG CHECKPOINT). The authors select on the
# validation set they report (paper parity: trimodal-early-fusion_1xb300-300e_omg-arousal.py), which is optimistic.
_base_ = './trimodal-early-fusion_1xb300-300e_omg-arousal.py'
holdout = dict(ratio=0.15, seed=123)
train_dataloader = dict(dataset=dict(video_holdout=dict(holdout, part='rest')))
val_dataloader = dict(
    dataset=dict(
        ann_file='omg_TrainVideos.csv',
        transcript_file='omg_TrainTranscripts.csv',
        video_path_tmpl='Videos/Train/{video}/{utterance}',
        wav_path_tmpl='Videos/Train/{video}/{stem}.wav',
        cache_dir='features/Train',
        video_holdout=dict(holdout, part='holdout')))
