# The challenge's unlabelled test split (omg_TestVideos_WithoutLabels.csv, 2229 utterances) for the arousal model of
# trimodal-early-fusion_1xb300-300e_omg-arousal.py (same model, training and validation; train with either). Videos
# as the challenge's prepare_data.py writes them with --target-dir data/omg_emotion/Videos/Test:
#   python tools/emotion/extract_audio.py CONFIG --split test
#   python tools/emotion/extract_features.py CONFIG --split test
#   python tools/emotion/make_submission.py --model CONFIG ARO.pth --model ...-test-valence.py VAL.pth --out sub.csv
_base_ = './trimodal-early-fusion_1xb300-300e_omg-arousal.py'
test_dataloader = dict(
    dataset=dict(
        ann_file='omg_TestVideos_WithoutLabels.csv',
        transcript_file='omg_TestTranscripts.csv',
        video_path_tmpl='Videos/Test/{video}/{utterance}',
        wav_path_tmpl='Videos/Test/{video}/{stem}.wav',
        cache_dir='features/Test',
        faceless='keep',
        test_mode=True))
# No labels: tools/test.py only writes the predictions (one target per model; make_submission.py merges both).
test_evaluator = dict(type='CCCMetric', out_csv='work_dirs/omg_test_predictions_arousal.csv')
