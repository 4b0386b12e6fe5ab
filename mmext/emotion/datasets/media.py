"""The audio track of an utterance video as a 16-bit mono WAV, through the ``ffmpeg`` executable of the
``imageio-ffmpeg`` wheel (no system package; see ``docs/emotion.md`` for the choice over PyAV).

The challenge's ``prepare_data.py`` cuts each utterance into ``<target_dir>/<video>/<utterance>`` (H.264 + AAC in
MP4, by the ffmpeg command line); Deng et al. then ran ``ffmpeg -i utt.mp4 -vn utt.wav``. :func:`extract_wav` runs
the same program with ``-ac 1`` added (mmext's audio functionals read mono) and keeps the source sample rate unless
told otherwise.
"""
import os
import os.path as osp
import subprocess
import wave
from typing import List, Optional

from .transforms.extraction import ExtractionError

EMPTY_WAV_RATE = 16000  # of the zero-length WAV written for a video without an audio stream


def ffmpeg_exe() -> str:
    """Path of the ffmpeg executable shipped by ``imageio-ffmpeg``."""
    try:
        import imageio_ffmpeg
    except ImportError as err:
        raise ImportError('converting utterance videos to WAV needs the ffmpeg binary of imageio-ffmpeg: pip install '
                          'imageio-ffmpeg (see requirements/optional.txt)') from err
    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: List[str]) -> subprocess.CompletedProcess:
    """``ffmpeg -nostdin -v error -y ARGS``; stderr captured as text."""
    return subprocess.run([ffmpeg_exe(), '-nostdin', '-v', 'error', '-y', *args], capture_output=True, text=True)


def write_empty_wav(path: str, sample_rate: int = EMPTY_WAV_RATE) -> None:
    """A 16-bit mono WAV with no samples."""
    with wave.open(path, 'wb') as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(sample_rate)


def extract_wav(video_path: str, wav_path: str, sample_rate: Optional[int] = None) -> str:
    """Writes the audio of ``video_path`` to ``wav_path`` as 16-bit mono PCM, atomically (a temporary file in the
    same folder, then a rename), so an interrupted run never leaves a partial WAV that a resumed run would take for
    a finished one.

    A video without an audio stream gets an empty WAV (no samples), which the feature extraction masks like a silent
    utterance.

    Args:
        video_path (str): The utterance video.
        wav_path (str): Output file; its folder is created.
        sample_rate (int, optional): Resample to this rate; None keeps the source's (as ``ffmpeg -i utt.mp4 -vn
            utt.wav``).

    Returns:
        str: ``'audio'``, or ``'no_audio_stream'`` when the empty WAV was written.

    Raises:
        ExtractionError: when the video is missing or ffmpeg cannot read it.
    """
    if not osp.isfile(video_path):
        raise ExtractionError(f'missing video file {video_path}')
    folder = osp.dirname(osp.abspath(wav_path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(wav_path)}.{os.getpid()}.tmp')
    rate = [] if sample_rate is None else ['-ar', str(int(sample_rate))]
    try:
        done = run_ffmpeg(['-i', video_path, '-vn', '-ac', '1', '-c:a', 'pcm_s16le', *rate, '-f', 'wav', tmp])
        if done.returncode == 0:
            status = 'audio'
        elif 'does not contain any stream' in done.stderr:  # -vn left nothing: the file has no audio stream
            write_empty_wav(tmp, sample_rate or EMPTY_WAV_RATE)
            status = 'no_audio_stream'
        else:
            reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f'exit code {done.returncode}'
            raise ExtractionError(f'ffmpeg cannot read {video_path}: {reason}')
        os.replace(tmp, wav_path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return status
