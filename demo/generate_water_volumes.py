"""Generate the demo's monthly water volumes, one file per commune, deterministically.

The figures are invented but shaped like real ones: distributed volume follows population
and, on the coast, the summer season; billed volume is distributed minus network losses.
Crach and Pluvigner are given leaky networks (rendement under 80 %), and Crach and
Quiberon a burst main in one month (the yield falls well under its 12-month median: the
alert table of the water dashboard), so the pooled dashboards have something true to
show. Auray's export also gives its network length (km), for the linear loss index.
Each file is written the way that commune's software exports it (encodings, separators,
decimal commas, date styles differ on purpose: the hub must read them all). Run: python demo/generate_water_volumes.py
"""

from __future__ import annotations

import random
from pathlib import Path

DEMO = Path(__file__).parent
MONTHS = [(year, month) for year in (2024, 2025) for month in range(1, 13)]
BURSTS = {"56046": (2025, 8), "56186": (2025, 3)}  # commune -> month of a burst main
NETWORK_KM = {"56007": 182.0}  # Auray publishes its network length

# slug, INSEE, name, inhabitants, coastal (summer peak), loss ratio, where the file goes, style
COMMUNES = [
    ("auray", "56007", "Auray", 14_100, False, 0.12, "portals/auray/volumes_eau.csv", "iso"),
    ("carnac", "56034", "Carnac", 4_300, True, 0.14, "portals/carnac/volumes_eau.csv", "french"),
    ("crach", "56046", "Crach", 3_300, True, 0.27, "files/crach/volumes_eau.csv", "french_bom"),
    ("quiberon", "56186", "Quiberon", 4_900, True, 0.11, "inbox/quiberon/volumes_eau.csv", "french"),
    ("pluvigner", "56177", "Pluvigner", 7_600, False, 0.24, "files/pluvigner/volumes_eau.csv", "french"),
]


def monthly_rows(insee: str, name: str, inhabitants: int, coastal: bool, loss: float):
    rng = random.Random(insee)  # same numbers on every run: re-runs change nothing
    for year, month in MONTHS:
        season = 1.9 if coastal and month in (7, 8) else 1.3 if coastal and month in (6, 9) else 1.0
        distributed = inhabitants * 0.15 * 30 * season * rng.uniform(0.95, 1.05)
        billed = distributed * (1 - loss * rng.uniform(0.9, 1.1))
        if BURSTS.get(insee) == (year, month):
            billed *= 0.85  # 15 % more of the distributed water lost that month
        yield insee, name, year, month, round(distributed, 1), round(billed, 1)


def write(path: Path, style: str, rows) -> None:
    if style == "iso":  # UTF-8, comma, ISO dates, dot decimals
        lines = ["code_insee,commune,mois,volume_distribue_m3,volume_facture_m3,longueur_reseau_km"]
        lines += [f"{i},{n},{y}-{m:02d}-01,{d},{b},{NETWORK_KM.get(i, '')}" for i, n, y, m, d, b in rows]
        data = ("\n".join(lines) + "\n").encode("utf-8")
    else:  # Windows-1252, `;`, dd/mm/yyyy, decimal comma, human headers
        lines = ["Code INSEE;Commune;Mois;Volume distribué (m3);Volume facturé (m3)"]
        lines += [
            f"{i};{n};01/{m:02d}/{y};{str(d).replace('.', ',')};{str(b).replace('.', ',')}"
            for i, n, y, m, d, b in rows
        ]
        text = "\r\n".join(lines) + "\r\n"
        data = ("\ufeff" + text).encode("utf-8") if style == "french_bom" else text.encode("cp1252")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


if __name__ == "__main__":
    for _slug, insee, name, inhabitants, coastal, loss, target, style in COMMUNES:
        write(DEMO / target, style, list(monthly_rows(insee, name, inhabitants, coastal, loss)))
