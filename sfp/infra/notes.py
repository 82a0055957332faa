"""What a feature wants said in sfp's log, returned to the hook or command that called it, which writes it."""

from __future__ import annotations

from sfp.infra.record import Record


class Note(Record):
    level: str  # info | warning
    message: str
