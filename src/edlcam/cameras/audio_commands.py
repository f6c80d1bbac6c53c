"""CLI command of the microphone: ``edlcam listen RUN -o FILE.flac`` (+ a spectrogram PNG)."""

from __future__ import annotations

from pathlib import Path

import typer

from edlcam import runfolder
from edlcam.errors import RenderError, RunFolderError

__all__ = ["register", "write_spectrogram", "AUDIO_SUFFIXES"]


AUDIO_SUFFIXES = {".flac": "FLAC", ".wav": "WAV"}


def _event_marks(run_dir: Path) -> list[tuple[str, float, bool]]:
    """(name, t_s, major) of every event of the run, in time order."""
    return [(e.name, e.t_s, e.major) for e in runfolder.read_events(run_dir).all()]


def _spectrogram_db(samples, fs: int, window_s: float, max_columns: int):
    """(f, t, dB re full scale) of ``samples``; columns merged by their maximum so transients survive."""
    import numpy as np
    from scipy import signal as sps

    nper = 1 << int(np.round(np.log2(window_s * fs)))
    f, t, s = sps.spectrogram(samples, fs=fs, nperseg=nper, noverlap=nper * 3 // 4, window="hann", mode="psd")
    group = max(1, t.size // max_columns)
    cut = (t.size // group) * group
    s = s[:, :cut].reshape(s.shape[0], -1, group).max(axis=2)
    t = t[:cut].reshape(-1, group).mean(axis=1)
    return f, t, 10.0 * np.log10(s * fs / 2.0 + 1e-20)  # PSD → power per bin relative to a full-scale sine


def _mark_events(strip, ax, marks, t0: float, t1: float, top_hz: float) -> None:
    """Event names in a strip above a spectrogram, with a tick on its top edge: marks never hide sound."""
    strip.set_ylim(0.0, 1.0)
    strip.set_yticks([])
    shown = [m for m in marks if t0 <= m[1] <= t1]
    for k, (name, t_s, major) in enumerate(shown):
        colour = "tab:blue" if major else "tab:green"
        level = 0.12 + 0.8 * (k % 5) / 5.0
        strip.plot([t_s, t_s], [0.0, level], color=colour, lw=0.8)
        strip.text(t_s, level, f" {name} (E+{t_s:.1f})", color=colour, fontsize=7, va="bottom", ha="left")
        ax.plot([t_s], [top_hz], marker="v", color=colour, markersize=5, clip_on=False)


def write_spectrogram(audio, marks: list[tuple[str, float, bool]], path: Path, *, title: str = "EDLCAM microphone") -> None:
    """Spectrogram PNG of ``audio`` [dBFS] with the flight's events marked.

    Top: the whole recording (0.1 s windows). Bottom: sky crane to just after touchdown (20 ms
    windows), where the engines, the winch, touchdown and the bridle cut come within seconds.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fs = audio.sample_rate_hz
    names = {m[0]: m[1] for m in marks}
    t_end = audio.t0_s + audio.duration_s
    z1 = min(t_end, names.get("touchdown", t_end - 60.0) + 4.0)
    z0 = max(audio.t0_s, names.get("skycrane_start", z1 - 24.0) - 4.0)
    fig = plt.figure(figsize=(18, 13.5), dpi=100)
    grid = fig.add_gridspec(5, 1, height_ratios=[1, 4, 0.9, 1, 4], hspace=0.05)
    axes = [fig.add_subplot(grid[k]) for k in (0, 1, 3, 4)]
    panels = [(axes[0], axes[1], audio.t0_s, t_end, 0.1, title), (axes[2], axes[3], z0, z1, 0.02, "sky crane to touchdown")]
    full = None
    for strip, ax, t0, t1, window_s, label in panels:
        i0, i1 = int((t0 - audio.t0_s) * fs), int((t1 - audio.t0_s) * fs)
        f, t, db = _spectrogram_db(audio.samples[i0:i1], fs, window_s, 4000)
        top = float(np.percentile(db, 99.9)) if full is None else full
        full = top if full is None else full
        mesh = ax.pcolormesh(t + t0, np.maximum(f, 1.0), db, shading="auto", cmap="magma", vmin=top - 100.0, vmax=top)
        ax.set_yscale("log")
        ax.set_ylim(20.0, fs / 2.0)
        ax.set_xlim(t0, t1)
        strip.set_xlim(t0, t1)
        strip.set_xticks([])
        strip.set_title(label, fontsize=10)
        ax.set_ylabel("frequency [Hz]")
        _mark_events(strip, ax, marks, t0, t1, fs / 2.0)
    axes[1].set_xlabel("time since entry interface [s]")
    axes[3].set_xlabel("time since entry interface [s]")
    fig.colorbar(mesh, ax=list(axes), label="dB re full scale", pad=0.01, fraction=0.03)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def listen(
    run: Path = typer.Argument(..., help="Run folder written by `edlcam simulate`."),
    output: Path = typer.Option(..., "-o", "--output", help="Audio file to write: FILE.flac (or .wav)."),
    spectrogram: Path | None = typer.Option(None, "--spectrogram", help="Spectrogram PNG (default: FILE.png beside the audio)."),
    sample_rate_hz: int | None = typer.Option(None, "--sample-rate", help="Samples per second (default: the mission's [microphone] sample_rate_hz)."),
) -> None:
    """Render what the rover's microphone hears from entry interface to a minute after touchdown."""
    import soundfile
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from edlcam.cameras.microphone import render_audio

    fmt = AUDIO_SUFFIXES.get(output.suffix.lower())
    if fmt is None:
        raise RenderError(f"-o {output}: unknown audio format '{output.suffix}'; name the file .flac (or .wav)")
    if not run.is_dir():
        raise RunFolderError(f"{run}: no such run folder; give the folder written by `edlcam simulate --out RUN`")
    marks = _event_marks(run)
    png = spectrogram if spectrogram is not None else output.with_suffix(".png")
    console = Console(stderr=True)
    with Progress(TextColumn("[bold]listen[/] {task.description:<12}"), BarColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("flight", total=1.0)
        audio = render_audio(run, sample_rate_hz=sample_rate_hz, progress=lambda x, what: bar.update(task, completed=x, description=what))
        bar.update(task, description="writing")
        output.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(output, audio.samples, audio.sample_rate_hz, format=fmt, subtype="PCM_24")
        bar.update(task, description="spectrogram")
        png.parent.mkdir(parents=True, exist_ok=True)
        write_spectrogram(audio, marks, png, title=f"EDLCAM microphone — {run.name}")
        bar.update(task, completed=1.0, description="done")
    console.print(f"wrote {output} ({audio.duration_s:.1f} s at {audio.sample_rate_hz} Hz) and {png}")


def register(app: typer.Typer) -> None:
    """Add ``edlcam listen`` to ``app``."""
    app.command("listen")(listen)
