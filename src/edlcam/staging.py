"""Safe reruns: each stage builds its output beside the old one, swaps it in only when complete, and
records what it was made from (docs/run-folder.md, "Reruns and provenance").

A stage's run:

1. :func:`check_inputs` reads the provenance record of the folders it reads and refuses inputs
   made from a different upstream run (``simulate`` ran again since ``film``: "rerun film");
2. :func:`refuse_replacing` refuses, in one line, to replace committed or received data unless
   told (``--overwrite``);
3. :func:`building` gives it an empty folder ``RUN/.staging/<stage>.new/``, shaped like the run
   folder, to write everything into through :mod:`edlcam.runfolder`'s writers (``new`` in place of
   ``RUN``), with a provenance record for each folder it makes (:func:`write_provenance`);
4. :func:`commit` swaps the new files in through a journal, ``RUN/.staging/<stage>.swap.json``:
   each old output is moved aside, the new one renamed into its place, then the old ones are
   deleted. A kill before the journal is written leaves the old output untouched (the half-built
   ``.new`` folder is dropped when that stage runs again); a kill after it is rolled forward by
   the next run of any stage (:func:`recover`), since the journal exists only once the new output
   is whole.

Renames stay inside the run folder, so each is atomic (one filesystem). One writer per run
folder at a time. Every name (the staging folder, the journal, the provenance file, which command
makes each folder and from what) is :mod:`edlcam.runfolder`'s.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from edlcam.errors import RunFolderError
from edlcam.runfolder.files import (
    FLIGHT_DIR,
    LINK_DIR,
    MAKERS,
    ONBOARD_DIR,
    MISSION,
    RECEIVED_DIR,
    STAGE_FOLDERS,
    STAGING_DIR,
    STORE_DIR,
    SWAP_JOURNAL_SUFFIX,
    provenance_path,
    sha256_file,
    staging_path,
)

__all__ = [
    "FOLDER_STAGE",
    "building",
    "commit",
    "recover",
    "refuse_replacing",
    "protect_stores",
    "protect_received",
    "sha256_file",
    "write_provenance",
    "read_provenance",
    "check_inputs",
    "input_digests",
]

# Each output folder with a provenance record, the command that writes it, and the folders it is made from.
FOLDER_STAGE = {folder: command for folder, (command, _) in STAGE_FOLDERS.items()}
UPSTREAM = {folder: upstream for folder, (_, upstream) in STAGE_FOLDERS.items()}


def _root(run: Path) -> Path:
    return Path(run) / STAGING_DIR


def recover(run: str | Path, stage: str | None = None) -> None:
    """Finish every swap a kill interrupted (its journal exists: the new output was whole); with ``stage``,
    also drop what a killed run of that stage left half built. Builds of other stages are left alone,
    since a stage may run inside another (``edlcam lvs`` re-flies ``simulate``)."""
    root = _root(Path(run))
    if not root.is_dir():
        return
    for journal in sorted(root.glob(f"*{SWAP_JOURNAL_SUFFIX}")):
        _replay(journal)
    if stage is not None:
        for leftover in (staging_path(run, stage, part) for part in ("new", "old", "swap.tmp")):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)


@contextmanager
def building(run: str | Path, stage: str) -> Iterator[Path]:
    """An empty folder ``RUN/.staging/<stage>.new``, shaped like the run folder, to build a stage's output
    in; removed if the block fails."""
    run = Path(run)
    recover(run, stage)
    new = staging_path(run, stage, "new")
    new.mkdir(parents=True)
    try:
        yield new
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise


def commit(run: str | Path, stage: str, moves: Iterable[tuple[Path | None, Path]]) -> None:
    """Swap the new outputs in: each ``(new, place)`` renames ``new`` to ``place`` (the old one moved aside
    first); ``(None, place)`` only removes ``place`` (an output the new one makes stale)."""
    run = Path(run)
    aside = staging_path(run, stage, "old")
    aside.mkdir(parents=True, exist_ok=True)
    plan = [[None if src is None else str(src), str(dst), str(aside / f"{i}-{Path(dst).name}")]
            for i, (src, dst) in enumerate(moves)]
    journal = staging_path(run, stage, SWAP_JOURNAL_SUFFIX.lstrip("."))
    tmp = staging_path(run, stage, "swap.tmp")
    with open(tmp, "w") as fh:
        json.dump({"moves": plan}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, journal)
    _replay(journal)


def _replay(journal: Path) -> None:
    """Carry out a swap journal; each step is idempotent, so a replay after a kill finishes the swap."""
    moves = json.loads(journal.read_text())["moves"]
    for src, dst, aside in moves:
        src_path, dst_path = None if src is None else Path(src), Path(dst)
        if src_path is not None and not src_path.exists():
            continue  # already in place
        if dst_path.exists() or dst_path.is_symlink():
            os.rename(dst_path, aside)
        if src_path is not None:
            dst_path.parent.mkdir(parents=True, exist_ok=True)
            os.rename(src_path, dst_path)
    _fsync_dir(journal.parent.parent)
    journal.unlink()
    stage, run = journal.name.removesuffix(SWAP_JOURNAL_SUFFIX), journal.parent.parent
    for done in ("old", "new"):  # the old outputs, and what the new one did not need
        shutil.rmtree(staging_path(run, stage, done), ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def refuse_replacing(path: Path, what: str, command: str, overwrite: bool) -> None:
    """One line refusing to replace ``path`` (committed or received data) unless ``overwrite``."""
    if overwrite or not path.is_dir() or not any(path.iterdir()):
        return
    raise RunFolderError(f"{path}: holds {what} from an earlier `{command}`; it is not replaced unless you say so: "
                         f"rerun with --overwrite (the new output is built beside it and swapped in only when "
                         f"complete)")


def protect_stores(run: str | Path, overwrite: bool) -> None:
    """Refuse to replace a filmed run's committed stores (RUN/onboard/store) unless ``overwrite``."""
    refuse_replacing(Path(run) / STORE_DIR, "the DSUs' committed stores", "edlcam film", overwrite)


def protect_received(run: str | Path, overwrite: bool) -> None:
    """Refuse to replace the products received on the ground (RUN/ground/received) unless ``overwrite``."""
    refuse_replacing(Path(run) / RECEIVED_DIR, "the products received on the ground", "edlcam relay",
                     overwrite)



def write_provenance(folder: Path, *, stage: str, inputs: dict[str, str], files: dict[str, Path]) -> str:
    """Write ``folder``'s provenance record: what the stage was made from and its files' SHA-256; return its digest.

    The digest covers the stage, its inputs' digests and its files' digests, so it changes when
    anything it was made from changes and stays the same when a rerun makes the same bytes.
    """
    body = {"stage": stage, "inputs": dict(sorted(inputs.items())),
            "files": {name: sha256_file(p) for name, p in sorted(files.items())}}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    provenance_path(folder).write_text(json.dumps({"digest": digest, **body}, indent=1) + "\n")
    return digest


def read_provenance(folder: Path) -> dict | None:
    """``folder``'s provenance record, or None when it has none (made before provenance was recorded)."""
    path = provenance_path(folder)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RunFolderError(f"{path}: unreadable ({type(exc).__name__}); rerun `edlcam "
                             f"{FOLDER_STAGE.get(folder.name, folder.name)}`") from None
    if not isinstance(data, dict) or not isinstance(data.get("digest"), str) or not isinstance(data.get("inputs"), dict):
        raise RunFolderError(f"{path}: not a provenance record (no 'digest' and 'inputs'); rerun `edlcam "
                             f"{FOLDER_STAGE.get(folder.name, folder.name)}`")
    return data


def _rerun(run: Path, folder: str) -> str:
    command = MAKERS[folder].format(run=run)
    return f"`{command} --overwrite`" if folder in (ONBOARD_DIR, LINK_DIR) else f"`{command}`"  # they refuse without


def check_inputs(run: str | Path, folders: Iterable[str]) -> None:
    """Refuse when the run's ``folders`` (in pipeline order) were not made from one another, naming the
    first stage to rerun. Folders without a provenance record are not checked (made before it was recorded)."""
    run = Path(run)
    recover(run)
    folders = list(folders)
    for folder in folders:
        prov = read_provenance(run / folder)
        if prov is None:
            continue
        if folder == FLIGHT_DIR:
            recorded = prov["inputs"].get(MISSION)
            mission = run / MISSION
            if recorded is not None and (not mission.exists() or sha256_file(mission) != recorded):
                raise RunFolderError(f"{mission}: not the mission {run / FLIGHT_DIR} was flown with (it changed "
                                     f"after `edlcam simulate`); rerun {_rerun(run, FLIGHT_DIR)}")
            continue
        for upstream, digest in prov["inputs"].items():
            if upstream not in FOLDER_STAGE:
                continue
            current = read_provenance(run / upstream)
            if current is not None and current["digest"] != digest:
                raise RunFolderError(
                    f"{run / folder}: made from another {upstream}/ than the one in this run (`edlcam "
                    f"{FOLDER_STAGE[upstream]}` ran again after `edlcam {FOLDER_STAGE[folder]}`); rerun "
                    f"{_rerun(run, folder)} and the stages after it")


def input_digests(run: str | Path, folder: str) -> dict[str, str]:
    """The digests of the folders ``folder`` is made from, for its provenance (those recorded)."""
    run = Path(run)
    out = {}
    for upstream in UPSTREAM[folder]:
        prov = read_provenance(run / upstream)
        if prov is not None:
            out[upstream] = prov["digest"]
    return out
