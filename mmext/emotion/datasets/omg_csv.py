"""Reading and validating the OMG-Emotion challenge CSVs (knowledgetechnologyuhh/OMGEmotionChallenge).

``omg_{Train,Validation}Videos.csv`` / ``omg_TestVideos_WithLabels.csv``:
``link,start,end,video,utterance,arousal,valence,EmotionMaxVote`` (``omg_TestVideos_WithoutLabels.csv`` stops after
``utterance``); ``omg_*Transcripts.csv``: ``link,video,utterance,transcript``. Every data row is checked; a row that
fails is returned with its line number and the reason, so the caller can skip and count it (the official training
CSV has two rows with empty link/video/utterance) or raise.
"""
import csv
import math
from typing import Dict, List, NamedTuple, Tuple

VIDEO_COLUMNS = ('link', 'start', 'end', 'video', 'utterance')
LABEL_RANGES = {'arousal': (0.0, 1.0), 'valence': (-1.0, 1.0)}
EMOTION_COLUMN = 'emotionmaxvote'  # the README spells it emotionMaxVote, the files EmotionMaxVote
NUM_EMOTIONS = 7  # 0 Anger, 1 Disgust, 2 Fear, 3 Happy, 4 Neutral, 5 Sad, 6 Surprise
TRANSCRIPT_COLUMNS = ('video', 'utterance', 'transcript')


class MalformedRow(NamedTuple):
    """A data row that failed validation: ``path:line`` and why."""
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f'{self.path}:{self.line}: {self.reason}'


class _RowError(ValueError):
    pass


def _read(path: str, required: Tuple[str, ...]) -> Tuple[Dict[str, int], List[Tuple[int, List[str]]]]:
    """Header (lower-cased name -> column) and the data rows with their 1-based line numbers."""
    with open(path, newline='', encoding='utf-8') as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            raise ValueError(f'{path} is empty; expected a header with columns {required}') from None
        columns = {name.strip().lower(): i for i, name in enumerate(header)}
        missing = [name for name in required if name not in columns]
        if missing:
            raise ValueError(f'{path}: the header {header} lacks the columns {missing}; is this an OMG-Emotion CSV?')
        rows = [(reader.line_num, row) for row in reader if row]  # a row of empty cells is malformed, not blank
    return columns, rows


def _field(row: List[str], columns: Dict[str, int], name: str) -> str:
    index = columns[name]
    if index >= len(row):
        raise _RowError(f'{len(row)} fields, no {name!r} column')
    return row[index].strip()


def _number(row: List[str], columns: Dict[str, int], name: str) -> float:
    text = _field(row, columns, name)
    try:
        value = float(text)
    except ValueError:
        raise _RowError(f'{name}={text!r} is not a number') from None
    if not math.isfinite(value):
        raise _RowError(f'{name}={text!r} is not finite')
    return value


def _video_row(row: List[str], columns: Dict[str, int]) -> dict:
    item = {name: _field(row, columns, name) for name in ('link', 'video', 'utterance')}
    for name in ('video', 'utterance'):
        if not item[name]:
            raise _RowError(f'empty {name}')
    item['start'], item['end'] = _number(row, columns, 'start'), _number(row, columns, 'end')
    if not 0 <= item['start'] < item['end']:
        raise _RowError(f"start={item['start']} and end={item['end']} do not satisfy 0 <= start < end")
    for name, (lo, hi) in LABEL_RANGES.items():
        if name in columns:
            value = _number(row, columns, name)
            if not lo <= value <= hi:
                raise _RowError(f'{name}={value} is outside [{lo}, {hi}]')
            item[f'gt_{name}'] = value
    if EMOTION_COLUMN in columns and _field(row, columns, EMOTION_COLUMN):
        text = _field(row, columns, EMOTION_COLUMN)
        if not text.isdigit() or int(text) >= NUM_EMOTIONS:
            raise _RowError(f'EmotionMaxVote={text!r} is not an integer in [0, {NUM_EMOTIONS - 1}]')
        item['emotion'] = int(text)
    return item


def read_video_csv(path: str) -> Tuple[List[dict], List[MalformedRow]]:
    """Validated rows of an ``omg_*Videos*.csv`` file.

    Returns:
        tuple: the valid rows in file order, each a dict with ``link``, ``video``, ``utterance``, ``start``,
        ``end``, ``order_idx`` (0-based position among the file's data rows, malformed ones included) and, when the
        file has them, ``gt_arousal``, ``gt_valence``, ``emotion``; and the rows that failed.

    Raises:
        ValueError: when the file is empty or its header lacks a required column.
    """
    columns, rows = _read(path, VIDEO_COLUMNS)
    valid, malformed, seen = [], [], set()
    for order_idx, (line, row) in enumerate(rows):
        try:
            item = _video_row(row, columns)
            key = (item['video'], item['utterance'])
            if key in seen:
                raise _RowError(f'duplicate utterance {key}')
            seen.add(key)
        except _RowError as err:
            malformed.append(MalformedRow(path, line, str(err)))
            continue
        item['order_idx'] = order_idx
        valid.append(item)
    return valid, malformed


def read_transcript_csv(path: str) -> Tuple[Dict[Tuple[str, str], str], List[MalformedRow]]:
    """``(video, utterance) -> transcript`` from an ``omg_*Transcripts.csv`` file, and the rows that failed."""
    columns, rows = _read(path, TRANSCRIPT_COLUMNS)
    transcripts, malformed = {}, []
    for line, row in rows:
        try:
            video, utterance = _field(row, columns, 'video'), _field(row, columns, 'utterance')
            if not video or not utterance:
                raise _RowError('empty video or utterance')
            transcripts[(video, utterance)] = _field(row, columns, 'transcript')
        except _RowError as err:
            malformed.append(MalformedRow(path, line, str(err)))
    return transcripts, malformed
