"""Validation of the challenge CSVs: malformed rows are skipped with file:line reasons, headers are checked."""
import pytest

from mmext.emotion.datasets import CSVEncodingError, read_transcript_csv, read_video_csv

HEADER = 'link,start,end,video,utterance,arousal,valence,EmotionMaxVote\n'


def write(path, text):
    path.write_text(text)
    return str(path)


def test_valid_rows_and_reasons_of_malformed_ones(tmp_path):
    path = write(tmp_path / 'omg_TrainVideos.csv', HEADER + (
        'l,0,2.5,vidA,utterance_1.mp4,0.5,0.1,3\n'
        ',,,,,,,\n'  # only commas
        ',1,2,,,0.3,0.2,4\n'  # empty video / utterance
        'l,2,1,vidA,utterance_2.mp4,0.5,0.1,3\n'  # end before start
        'l,0,1,vidA,utterance_3.mp4,1.5,0.1,3\n'  # arousal out of range
        'l,0,1,vidB,utterance_1.mp4,0.2,abc,3\n'  # valence not a number
        'l,0,1,vidB,utterance_2.mp4,0.2,-0.4,9\n'  # unknown emotion class
        'l,0,1,vidA,utterance_1.mp4,0.2,-0.4,1\n'  # duplicate
        'l,0,1,vidB\n'  # too few fields
        'l,3,4.5,vidC,utterance_7.mp4,0.0,-1.0,\n'))
    rows, malformed = read_video_csv(path)
    assert [(r['video'], r['utterance'], r['order_idx']) for r in rows] == [('vidA', 'utterance_1.mp4', 0),
                                                                           ('vidC', 'utterance_7.mp4', 9)]
    assert rows[0]['gt_arousal'] == 0.5 and rows[0]['emotion'] == 3 and 'emotion' not in rows[1]
    reasons = [m.reason for m in malformed]
    assert len(malformed) == 8
    assert 'empty video' in reasons[0] and 'empty video' in reasons[1] and 'start' in reasons[2]
    assert 'arousal=1.5' in reasons[3] and "valence='abc'" in reasons[4] and 'EmotionMaxVote' in reasons[5]
    assert 'duplicate' in reasons[6] and 'no \'utterance\' column' in reasons[7]
    assert str(malformed[1]).startswith(f'{path}:4:')  # file:line of the second row with an empty video


def test_header_is_checked_and_labels_optional(tmp_path):
    with pytest.raises(ValueError, match="lacks the columns \\['utterance'\\]"):
        read_video_csv(write(tmp_path / 'a.csv', 'link,start,end,video\n'))
    with pytest.raises(ValueError, match='empty'):
        read_video_csv(write(tmp_path / 'b.csv', ''))
    rows, _ = read_video_csv(write(tmp_path / 'test.csv', 'link,start,end,video,utterance\nl,0,1,v,u.mp4\n'))
    assert 'gt_arousal' not in rows[0]


def test_transcripts_with_commas_and_bad_rows(tmp_path):
    path = write(tmp_path / 't.csv', 'link,video,utterance,transcript\n'
                 'l,v,u1.mp4,"well, I am happy"\nl,v,u2.mp4,\nl,,u3.mp4,text\n')
    transcripts, malformed, repeated = read_transcript_csv(path)
    assert transcripts == {('v', 'u1.mp4'): 'well, I am happy', ('v', 'u2.mp4'): ''}
    assert len(malformed) == 1 and malformed[0].line == 4 and repeated == []


def test_repeated_transcript_rows_keep_the_first_and_are_reported(tmp_path):
    path = write(tmp_path / 't.csv', 'link,video,utterance,transcript\n'
                 'l,v,u1.mp4,first\nl,v,u1.mp4,second\nl,v,u1.mp4,first\n')
    transcripts, malformed, repeated = read_transcript_csv(path)
    assert transcripts == {('v', 'u1.mp4'): 'first'} and malformed == []
    assert [(r.line, 'another text' in r.reason) for r in repeated] == [(3, True), (4, False)]


def test_byte_order_mark_is_not_part_of_the_header(tmp_path):
    path = tmp_path / 'bom.csv'
    path.write_bytes(b'\xef\xbb\xbf' + (HEADER + 'l,0,1,v,utterance_1.mp4,0.5,0.1,4\n').encode())
    rows, malformed = read_video_csv(str(path), require_labels=True)
    assert len(rows) == 1 and malformed == [] and rows[0]['gt_arousal'] == 0.5
    transcripts = tmp_path / 'bom_t.csv'
    transcripts.write_bytes(b'\xef\xbb\xbflink,video,utterance,transcript\nl,v,u.mp4,hi\n')
    assert read_transcript_csv(str(transcripts))[0] == {('v', 'u.mp4'): 'hi'}


def test_cp1252_bytes_name_the_file_and_line(tmp_path):
    path = tmp_path / 'latin.csv'
    text = 'link,video,utterance,transcript\nl,v,u1.mp4,fine\nl,v,u2.mp4,caf\u00e9 \u2013 ok\n'
    path.write_bytes(text.encode('cp1252'))
    with pytest.raises(CSVEncodingError, match=f'{path}:3: byte 0xe9 at column 15 is not UTF-8.*iconv'):
        read_transcript_csv(str(path))


def test_emotion_written_as_a_float_is_accepted(tmp_path):
    rows, malformed = read_video_csv(write(tmp_path / 'v.csv', HEADER + 'l,0,1,v,u1.mp4,0.5,0.1,4.0\n'
                                           'l,0,1,v,u2.mp4,0.5,0.1,4.5\n'))
    assert rows[0]['emotion'] == 4 and isinstance(rows[0]['emotion'], int)
    assert len(malformed) == 1 and "EmotionMaxVote='4.5'" in malformed[0].reason


def test_labelled_splits_need_both_label_columns(tmp_path):
    path = write(tmp_path / 'train.csv', 'link,start,end,video,utterance,valence\nl,0,1,v,u.mp4,0.1\n')
    with pytest.raises(ValueError, match=r"train.csv: the header lacks the label columns \['arousal'\].*test_mode"):
        read_video_csv(path, require_labels=True)
    assert len(read_video_csv(path)[0]) == 1
