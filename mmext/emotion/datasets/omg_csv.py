"""Reading and validating the OMG-Emotion challenge CSVs (knowledgetechnologyuhh/OMGEmotionChallenge).

``omg_{Train,Validation}Videos.csv`` / ``omg_TestVideos_WithLabels.csv``:
``link,start,end,video,utterance,arousal,valence,EmotionMaxVote`` (``omg_TestVideos_WithoutLabels.csv`` stops after
``utterance``); ``omg_*Transcripts.csv``: ``link,video,utterance,transcript``. Every data row is checked; a row that
fails is returned with its line number and the reason, so the caller can skip and count it or raise. The official
files have no such row; a third-party copy of the training CSV appends two summary rows with an empty
link/video/utterance, which this skips.

The files are read as UTF-8, with or without a byte-order mark (``utf-8-sig``: spreadsheet programs add one); a file
in another encoding (e.g. Latin-1/cp1252 after an edit on Windows) raises :class:`CSVEncodingError` naming the file
and the line of the first byte that is not UTF-8.
"""
import codecs
import csv
import io
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


class CSVEncodingError(ValueError):
    """A CSV file is not UTF-8; the message names the file and the line."""


def decode_utf8(raw: bytes, path: str) -> str:
    """``raw`` decoded as UTF-8 without its byte-order mark, if any.

    Raises:
        CSVEncodingError: naming ``path``, the line and column of the first byte that is not UTF-8.
    """
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError as err:
        line = raw.count(b'\n', 0, err.start) + 1
        column = err.start - (raw.rfind(b'\n', 0, err.start) + 1) + 1
        raise CSVEncodingError(
            f'{path}:{line}: byte 0x{raw[err.start]:02x} at column {column} is not UTF-8 (the file looks Latin-1/'
            'cp1252-encoded); re-save it as UTF-8, e.g. iconv -f cp1252 -t utf-8 in.csv > out.csv') from None


def _read(path: str, required: Tuple[str, ...]) -> Tuple[Dict[str, int], List[Tuple[int, List[str]]]]:
    """Header (lower-cased name -> column) and the data rows with their 1-based line numbers."""
    with open(path, 'rb') as f:
        text = decode_utf8(f.read(), path)
    reader = csv.reader(io.StringIO(text, newline=''))
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
        item['emotion'] = _emotion(_field(row, columns, EMOTION_COLUMN))
    return item


def _emotion(text: str) -> int:
    """The class index of an ``EmotionMaxVote`` cell; ``4.0`` (a spreadsheet's rewrite of ``4``) is accepted, as the
    class is never scored."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value.is_integer() and 0 <= value < NUM_EMOTIONS):
        raise _RowError(f'EmotionMaxVote={text!r} is not an integer in [0, {NUM_EMOTIONS - 1}]')
    return int(value)


def read_video_csv(path: str, require_labels: bool = False) -> Tuple[List[dict], List[MalformedRow]]:
    """Validated rows of an ``omg_*Videos*.csv`` file.

    Args:
        path (str): The CSV.
        require_labels (bool): The header must have the ``arousal`` and ``valence`` columns (a training or
            validation split); the unlabelled test CSV has neither. Default: False.

    Returns:
        tuple: the valid rows in file order, each a dict with ``link``, ``video``, ``utterance``, ``start``,
        ``end``, ``order_idx`` (0-based position among the file's data rows, malformed ones included) and, when the
        file has them, ``gt_arousal``, ``gt_valence``, ``emotion``; and the rows that failed.

    Raises:
        ValueError: when the file is empty or its header lacks a required column.
        CSVEncodingError: when the file is not UTF-8.
    """
    columns, rows = _read(path, VIDEO_COLUMNS)
    missing = [name for name in LABEL_RANGES if name not in columns]
    if require_labels and missing:
        raise ValueError(f'{path}: the header lacks the label columns {missing}, which training and validation need; '
                         'an unlabelled split (omg_TestVideos_WithoutLabels.csv) needs test_mode=True in its dataset')
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


def read_transcript_csv(
        path: str) -> Tuple[Dict[Tuple[str, str], str], List[MalformedRow], List[MalformedRow]]:
    """``(video, utterance) -> transcript`` from an ``omg_*Transcripts.csv`` file, the rows that failed, and the
    repeated ``(video, utterance)`` rows (the first row of a key is kept; the caller warns about the others)."""
    columns, rows = _read(path, TRANSCRIPT_COLUMNS)
    transcripts, malformed, duplicates = {}, [], []
    for line, row in rows:
        try:
            video, utterance = _field(row, columns, 'video'), _field(row, columns, 'utterance')
            if not video or not utterance:
                raise _RowError('empty video or utterance')
            text = _field(row, columns, 'transcript')
        except _RowError as err:
            malformed.append(MalformedRow(path, line, str(err)))
            continue
        if (video, utterance) in transcripts:
            same = 'same' if transcripts[(video, utterance)] == text else 'another'
            duplicates.append(MalformedRow(path, line, f'repeats {video}/{utterance} ({same} text); the first row '
                                           'is used'))
        else:
            transcripts[(video, utterance)] = text
    return transcripts, malformed, duplicates


def read_all_rows(path: str) -> List[Dict[str, str]]:
    """Every data row of a split CSV in file order, malformed ones included, as ``{lower-cased column: text}``
    (what the official scoring script pairs with a prediction file, row by row)."""
    columns, rows = _read(path, ('video', 'utterance'))
    return [{name: row[i].strip() if i < len(row) else '' for name, i in columns.items()} for _, row in rows]
