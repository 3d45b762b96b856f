"""A fleet of sample vehicles, so that tests issuing several permits do not ask twice for one vehicle.

同一车辆重复办证: a second permit for the same tractor or trailer on a shared road in an overlapping
window is not accepted. A test that approves several cases of one sample would therefore see its second
case refused. `with_fleet_vehicle` gives each new application the next tractor and trailer of the
sample's fleet: copies of the sample's own vehicles (same owner, axles, 行驶证 and 道路运输证 validity)
under plates of their own, which `fleet_records` adds to the sample registry of every test store.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any, Final

SAMPLE_REGISTRY: Final = Path(__file__).resolve().parents[1] / "samples" / "registry.sample.json"
FLEET_SIZE: Final = 40  # per sample vehicle pair: more than any one test approves
# The sample pairs that get a fleet, each with the plate letters of its copies (湘AT0001 + 湘AU001挂, …).
_PAIRS: Final = {
    ("湘AD1234", "湘A1234挂"): ("AT", "AU"),  # class I
    ("湘BD2345", "湘B2345挂"): ("BT", "BU"),  # class II (urban)
    ("湘AD5678", "湘A5678挂"): ("AV", "AW"),  # class III
}
_counters = {pair: itertools.count() for pair in _PAIRS}


def _plate(letters: str, n: int, trailer: bool) -> str:
    province = "湘"
    return f"{province}{letters[0]}{letters[1]}{n:03d}挂" if trailer else f"{province}{letters}{n:04d}"


def fleet_records() -> dict[str, list[dict[str, Any]]]:
    """The fleet's vehicles and 道路运输证, in the registry snapshot's shape."""
    registry = json.loads(SAMPLE_REGISTRY.read_text(encoding="utf-8"))
    vehicles = {v["plate"]: v for v in registry["vehicles"]}
    certificates = {
        c["plate"]: c for c in sorted(registry["transport_certificates"], key=lambda c: c["valid_until"])
    }
    out: dict[str, list[dict[str, Any]]] = {"vehicles": [], "transport_certificates": []}
    for (tractor, trailer), (tractor_letters, trailer_letters) in _PAIRS.items():
        for n in range(FLEET_SIZE):
            for plate, letters, is_trailer in (
                (tractor, tractor_letters, False),
                (trailer, trailer_letters, True),
            ):
                copied = _plate(letters, n, is_trailer)
                vehicle = copy.deepcopy(vehicles[plate])
                vehicle.update(plate=copied, vin=f"LFLEET{letters}{int(is_trailer)}{n:08d}")
                out["vehicles"].append(vehicle)
                if plate in certificates:  # the latest 道路运输证 of the sample vehicle
                    certificate = copy.deepcopy(certificates[plate])
                    certificate.update(plate=copied, number=f"FLEET{letters}{n:05d}")
                    out["transport_certificates"].append(certificate)
    return out


def with_fleet_vehicle(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the next fleet tractor and trailer of its sample pair (unchanged otherwise)."""
    pair = (document.get("tractor_plate"), document.get("trailer_plate"))
    if pair not in _PAIRS:
        return document
    n = next(_counters[pair]) % FLEET_SIZE  # type: ignore[index]
    tractor_letters, trailer_letters = _PAIRS[pair]  # type: ignore[index]
    return {
        **document,
        "tractor_plate": _plate(tractor_letters, n, False),
        "trailer_plate": _plate(trailer_letters, n, True),
    }
