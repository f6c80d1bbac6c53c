"""The radio link as one seam: ``Channel.transmit(frame) -> list[bytes]``.

Everything that crosses space goes through a :class:`Channel`, so the whole pipeline runs over
a :class:`PerfectChannel` (tests of the logic) or a :class:`LossyChannel` (tests of the
recovery). A call hands one frame to the radio and returns the frames that come out at the far
end *now*: none (lost, or held back to be reordered), one, or several (duplicates, or a held
frame released behind this one). :meth:`Channel.flush` returns what is still held when the link
closes (end of a pass).

The lossy channel's loss follows the Gilbert–Elliott two-state model (Gilbert 1960, Bell Syst.
Tech. J. 39:1253; Elliott 1963, Bell Syst. Tech. J. 42:1977): a good state with loss ``loss``
and a bad state with loss ``burst_loss``, switching per frame with ``burst_enter`` and
``burst_exit``, so losses come in bursts of mean length 1/``burst_exit`` frames. Bit errors flip
each bit independently with probability ``bit_error_rate``; the frames still arrive and the
receiver must detect them (CRC) and discard them. All randomness comes from one seeded numpy
``Generator``: a seed gives the same impairments every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edlcam.errors import LinkError

__all__ = ["Channel", "PerfectChannel", "LossyChannel", "ChannelStats"]


@dataclass
class ChannelStats:
    """What a channel did to the frames handed to it (counts of frames, and of flipped bits)."""

    sent: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    reordered: int = 0
    corrupted: int = 0
    bits_flipped: int = 0


class Channel:
    """Base of every link: one frame in, zero or more frames out."""

    def __init__(self) -> None:
        self.stats = ChannelStats()

    def transmit(self, frame: bytes) -> list[bytes]:
        """Send ``frame``; return the frames that arrive at the far end now, in arrival order."""
        raise NotImplementedError

    def flush(self) -> list[bytes]:
        """Return the frames still held in the channel (called when the link closes)."""
        return []


class PerfectChannel(Channel):
    """Delivers every frame once, intact and in order."""

    def transmit(self, frame: bytes) -> list[bytes]:
        self.stats.sent += 1
        self.stats.delivered += 1
        return [bytes(frame)]


def _check_probability(name: str, value: float, *, upper_open: bool = True) -> None:
    ok = 0.0 <= value < 1.0 if upper_open else 0.0 <= value <= 1.0
    if not ok:
        limit = "[0, 1)" if upper_open else "[0, 1]"
        raise LinkError(f"channel {name} is {value:g}; it must lie in {limit}: give a probability such as 0.1")


@dataclass
class _Held:
    frame: bytes
    release_after: int  # frames still to pass before this one comes out


class LossyChannel(Channel):
    """Loss (with Gilbert–Elliott bursts), reordering, duplication and bit errors, seeded.

    Parameters are per frame: ``loss`` in the good state; ``burst_enter`` / ``burst_exit`` the
    state-switch probabilities and ``burst_loss`` the loss in the bad state; ``reorder`` the
    chance a frame is held back behind 1..``reorder_max_delay_frames`` later frames;
    ``duplicate`` the chance a frame arrives twice; ``bit_error_rate`` per bit.
    """

    def __init__(
        self,
        *,
        loss: float = 0.0,
        burst_enter: float = 0.0,
        burst_exit: float = 0.25,
        burst_loss: float = 0.9,
        reorder: float = 0.0,
        reorder_max_delay_frames: int = 8,
        duplicate: float = 0.0,
        bit_error_rate: float = 0.0,
        seed: int | np.random.Generator = 0,
    ) -> None:
        super().__init__()
        _check_probability("loss", loss)
        _check_probability("burst_enter", burst_enter)
        _check_probability("burst_loss", burst_loss, upper_open=False)
        _check_probability("reorder", reorder)
        _check_probability("duplicate", duplicate)
        _check_probability("bit_error_rate", bit_error_rate)
        if not 0.0 < burst_exit <= 1.0:
            raise LinkError(f"channel burst_exit is {burst_exit:g}; it must lie in (0, 1] or a burst never ends")
        if reorder_max_delay_frames < 1:
            raise LinkError(f"channel reorder_max_delay_frames is {reorder_max_delay_frames}; it must be ≥ 1")
        self.loss = loss
        self.burst_enter = burst_enter
        self.burst_exit = burst_exit
        self.burst_loss = burst_loss
        self.reorder = reorder
        self.reorder_max_delay_frames = reorder_max_delay_frames
        self.duplicate = duplicate
        self.bit_error_rate = bit_error_rate
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.bad_state = False
        self._held: list[_Held] = []

    @classmethod
    def from_config(cls, cfg, *, seed: int | np.random.Generator = 0, loss: float | None = None) -> "LossyChannel":
        """Build from a :class:`edlcam.config.link.ChannelConfig`; ``loss`` overrides its loss."""
        return cls(
            loss=cfg.loss if loss is None else loss,
            burst_enter=cfg.burst_enter,
            burst_exit=cfg.burst_exit,
            burst_loss=cfg.burst_loss,
            reorder=cfg.reorder,
            reorder_max_delay_frames=cfg.reorder_max_delay_frames,
            duplicate=cfg.duplicate,
            bit_error_rate=cfg.bit_error_rate,
            seed=seed,
        )

    def _corrupt(self, frame: bytes) -> bytes:
        n_bits = len(frame) * 8
        if self.bit_error_rate == 0.0 or n_bits == 0:
            return frame
        n_flips = int(self.rng.binomial(n_bits, self.bit_error_rate))
        if n_flips == 0:
            return frame
        positions = self.rng.choice(n_bits, size=n_flips, replace=False)
        buf = np.frombuffer(frame, dtype=np.uint8).copy()
        np.bitwise_xor.at(buf, positions // 8, (1 << (positions % 8)).astype(np.uint8))
        self.stats.corrupted += 1
        self.stats.bits_flipped += n_flips
        return buf.tobytes()

    def _release_due(self) -> list[bytes]:
        out, keep = [], []
        for h in self._held:
            h.release_after -= 1
            (out if h.release_after <= 0 else keep).append(h)
        self._held = keep
        return [h.frame for h in out]

    def transmit(self, frame: bytes) -> list[bytes]:
        self.stats.sent += 1
        # Gilbert–Elliott: the state evolves once per frame, then the frame meets that state's loss.
        if self.bad_state:
            self.bad_state = self.rng.random() >= self.burst_exit
        else:
            self.bad_state = self.rng.random() < self.burst_enter
        p_loss = self.burst_loss if self.bad_state else self.loss
        held_out = self._release_due()
        if self.rng.random() < p_loss:
            self.stats.lost += 1
            self.stats.delivered += len(held_out)
            return held_out
        copies = [self._corrupt(bytes(frame))]
        if self.rng.random() < self.duplicate:
            self.stats.duplicated += 1
            copies.append(self._corrupt(bytes(frame)))
        out: list[bytes] = []
        for copy in copies:
            if self.rng.random() < self.reorder:
                self.stats.reordered += 1
                delay = int(self.rng.integers(1, self.reorder_max_delay_frames + 1))
                self._held.append(_Held(copy, delay))
            else:
                out.append(copy)
        out.extend(held_out)  # held frames come out behind this one: that is the reordering
        self.stats.delivered += len(out)
        return out

    def flush(self) -> list[bytes]:
        out = [h.frame for h in self._held]
        self._held = []
        self.stats.delivered += len(out)
        return out
