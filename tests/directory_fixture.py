"""A small, fully known doctor directory, inserted the way the importers store it.

Rows look like the insurer's list after import: clinics coded ``zzzs-<provider code>``, doctors
``zzzs-<doctor>-<activity>-<institution>`` named "Surname Name", the list's date on each, the
folded search text; Sledilnik's facts and dated corrections beside them, and the list's change
history. Importable from any test as ``import directory_fixture`` (like ``support``).

:func:`build_directory` adds it to a database that already has :func:`support.build_world`'s
agents (the world's own "dr. Ana Novak" in Maribor is a doctor too, without a list date).
``extra`` adds that many generated doctors, for measuring search on a directory of realistic
size.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import insert

from console.domain.text import fold
from console.server.db import Database
from console.server.schema import (
    directory_imports,
    location_facts,
    locations,
    provider_facts,
    provider_history,
    providers,
)

LIST_DATE = date(2026, 8, 21)
IMPORTED_AT = datetime(2026, 8, 22, 6, 0)

# code, name, address, postcode, town, municipality, region
CLINICS = [
    ("01234", "ZD Ljubljana, Enota Center", "Metelkova 9", "1000", "Ljubljana", "Ljubljana",
     "Osrednjeslovenska"),
    ("05678", "ZD Celje", "Gregorčičeva 5", "3000", "Celje", "Celje", "Savinjska"),
    ("09012", "ZD Črnomelj", "Delavska 4", "8340", "Črnomelj", "Črnomelj",
     "Jugovzhodna Slovenija"),
    ("03456", "ZD Šentjur", "Cesta Leona Dobrotinška 1", "3230", "Šentjur", "Šentjur",
     "Savinjska"),
    ("07890", "Ambulanta Cerknica", "Partizanska 1", "1380", "Cerknica", "Cerknica",
     "Primorsko-notranjska"),
]  # fmt: skip

# key, name, type, clinic code, activity code, doctor code, accepts, active
DOCTORS = [
    ("kolar", "Kolar Miran", "gp", "01234", "302001", "11111", True, True),
    ("cesnik", "Česnik Špela", "gp", "01234", "302001", "22222", True, True),
    ("novak", "Novak Ana", "gp", "05678", "302001", "33333", False, True),
    ("zupan", "Zupan Črt", "ped", "01234", "327009", "44444", True, True),
    ("horvat", "Horvat Maja", "gyn", "05678", "306007", "55555", True, True),
    ("kranjc", "Kranjc Luka", "den", "09012", "404101", "66666", False, True),
    ("cankar", "Cankar Ivana", "gp", "03456", "302001", "77777", True, True),
    ("cater", "Čater Boris", "gp", "07890", "302001", "88888", True, True),
    ("potocnik", "Potočnik Jože", "gp", "01234", "302001", "99999", True, False),
]


@dataclass
class Directory:
    """Ids of what :func:`build_directory` created."""

    clinics: dict[str, int] = field(default_factory=dict)  # by insurer's provider code
    doctors: dict[str, int] = field(default_factory=dict)  # by key


def _insert(connection, table, values: dict) -> int:
    return connection.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()


def _clinic(connection, code: str, name: str, address: str, postcode: str, town: str,
            municipality: str, region: str) -> int:  # fmt: skip
    return _insert(
        connection,
        locations,
        {
            "code": f"zzzs-{code}",
            "name": name,
            "kind": "clinic",
            "address": address,
            "postcode": postcode,
            "town": town,
            "municipality": municipality,
            "municipality_folded": fold(municipality),
            "region": region,
            "opening_hours": "",
        },
    )


def _doctor(connection, clinic_id: int, clinic: tuple, name: str, kind: str, activity: str,
            doctor_code: str, accepts: bool, active: bool) -> int:  # fmt: skip
    code, institution, _address, _post, town, municipality, _region = clinic
    return _insert(
        connection,
        providers,
        {
            "code": f"zzzs-{doctor_code}-{activity}-{code}",
            "name": name,
            "name_folded": fold(name),
            "kind": "doctor",
            "specialty": kind,
            "location_id": clinic_id,
            "accepts_new_patients": accepts,
            "accepts_verified_at": datetime.combine(LIST_DATE, datetime.min.time()),
            "accepts_verified_by": "ZZZS",
            "active": active,
            "doctor_code": doctor_code,
            "activity_code": activity,
            "list_date": LIST_DATE,
            "fte": 1.0,
            "patients_per_team": 1850.0 if kind in ("gp", "ped") else None,
            "capitation_per_team": 2400.0 if kind in ("gp", "ped") else None,
            "load_percent": 96.5 if kind not in ("gp", "ped") else None,
            "resident": False,
            "search_folded": fold(f"{name} {institution} {town} {municipality}"),
        },
    )


def _fact(connection, provider_id: int, source: str, as_of: date, **values) -> None:
    connection.execute(
        insert(provider_facts).values(
            provider_id=provider_id, source=source, as_of=as_of, imported_at=IMPORTED_AT, **values
        )
    )


def build_directory(database: Database, *, extra: int = 0, seed: int = 5) -> Directory:
    found = Directory()
    with database.write() as connection:
        by_code = {c[0]: c for c in CLINICS}
        for clinic in CLINICS:
            found.clinics[clinic[0]] = _clinic(connection, *clinic)
        for key, name, kind, clinic, activity, doctor_code, accepts, active in DOCTORS:
            found.doctors[key] = _doctor(
                connection, found.clinics[clinic], by_code[clinic], name, kind, activity,
                doctor_code, accepts, active,
            )  # fmt: skip
        doctors = found.doctors
        # Sledilnik's copy: contacts and coordinates; the clinic's own phone.
        _fact(
            connection,
            doctors["kolar"],
            "sledilnik",
            date(2026, 8, 22),
            accepts=True,
            phone="01 234 56 78",
            website="https://zd-lj.si",
            email="kolar@zd-lj.si",
            orderform="https://zd-lj.si/narocanje",
            lat=46.0569,
            lon=14.5058,
        )
        connection.execute(
            insert(location_facts).values(
                location_id=found.clinics["01234"],
                source="sledilnik",
                as_of=date(2026, 8, 20),
                phone="01 300 30 00",
                website="https://www.zd-lj.si",
                lat=46.05,
                lon=14.5,
                imported_at=IMPORTED_AT,
            )
        )
        # Dated corrections from people who phoned: one newer phone number, and two flags the
        # insurer has wrong (Česnik is full, Novak accepts).
        _fact(
            connection,
            doctors["kolar"],
            "sledilnik-override",
            date(2026, 9, 1),
            phone="041 111 222",
            note="nova številka",
        )
        _fact(
            connection,
            doctors["cesnik"],
            "sledilnik-override",
            date(2026, 9, 1),
            accepts=False,
            note="Ne sprejema več novih pacientov",
        )
        _fact(
            connection,
            doctors["novak"],
            "sledilnik-override",
            date(2026, 9, 5),
            accepts=True,
            note="Spet sprejema",
        )
        import_id = _insert(
            connection,
            directory_imports,
            {
                "source": "zzzs",
                "list_name": "SPLOŠNA DEJAVNOST",
                "file_name": "2026-08-22_zdravniki.xlsx",
                "list_date": LIST_DATE,
                "imported_at": IMPORTED_AT,
                "rows": len(DOCTORS),
            },
        )
        for as_of, change, old, new in (
            (date(2026, 8, 7), "added", None, None),
            (LIST_DATE, "accepts", "NE", "DA"),
        ):
            connection.execute(
                insert(provider_history).values(
                    provider_id=doctors["kolar"],
                    at=IMPORTED_AT,
                    source="zzzs",
                    as_of=as_of,
                    change=change,
                    old_value=old,
                    new_value=new,
                    import_id=import_id,
                )
            )
        if extra:
            _generated(connection, found, extra, seed)
    return found


SURNAMES = [
    "Novak", "Horvat", "Kovačič", "Krajnc", "Zupančič", "Potočnik", "Kovač", "Mlakar", "Kos",
    "Vidmar", "Golob", "Turk", "Božič", "Kralj", "Korošec", "Zupan", "Bizjak", "Hribar",
    "Kotnik", "Rozman", "Kavčič", "Petek", "Žagar", "Kastelic", "Oblak", "Ferk", "Jerman",
    "Šinkovec", "Čeh", "Žnidaršič", "Dolenc", "Pečnik", "Erjavec", "Štrukelj", "Lešnik",
]  # fmt: skip
GIVEN = [
    "Ana", "Maja", "Irena", "Mojca", "Nataša", "Špela", "Tjaša", "Urška", "Jože", "Franc",
    "Janez", "Marko", "Andrej", "Matej", "Luka", "Boštjan", "Gregor", "Žiga", "Primož", "Nina",
]  # fmt: skip
TOWNS = [
    ("Ljubljana", "Osrednjeslovenska"), ("Maribor", "Podravska"), ("Celje", "Savinjska"),
    ("Kranj", "Gorenjska"), ("Koper", "Obalno-kraška"), ("Novo mesto", "Jugovzhodna Slovenija"),
    ("Velenje", "Savinjska"), ("Murska Sobota", "Pomurska"), ("Ptuj", "Podravska"),
    ("Nova Gorica", "Goriška"), ("Škofja Loka", "Gorenjska"), ("Domžale", "Osrednjeslovenska"),
    ("Črnomelj", "Jugovzhodna Slovenija"), ("Trbovlje", "Zasavska"), ("Brežice", "Posavska"),
    ("Postojna", "Primorsko-notranjska"), ("Slovenj Gradec", "Koroška"), ("Šentjur", "Savinjska"),
]  # fmt: skip
TYPES = [("gp", "302001", 45), ("ped", "327009", 12), ("gyn", "306007", 8), ("den", "404101", 25),
         ("den-y", "404103", 8), ("den-s", "404105", 2)]  # fmt: skip


def _generated(connection, found: Directory, count: int, seed: int) -> None:
    """``count`` more doctors in ~200 institutions across the towns, about half accepting,
    a tenth with a correction: a directory of the real one's size and shape."""
    rng = random.Random(seed)
    clinics = []
    for index in range(200):
        town, region = TOWNS[index % len(TOWNS)]
        kind = "ZD" if index % 3 == 0 else "Ambulanta"
        clinic = (
            f"9{index:04d}",
            f"{kind} {town} {index}",
            f"Cesta {index}",
            "1000",
            town,
            town,
            region,
        )
        clinics.append((_clinic(connection, *clinic), clinic))
    weights = [t[2] for t in TYPES]
    rows = []
    for index in range(count):
        clinic_id, clinic = rng.choice(clinics)
        kind, activity, _ = rng.choices(TYPES, weights)[0]
        name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"
        code = f"{100000 + index}"
        rows.append(
            {
                "code": f"zzzs-{code}-{activity}-{clinic[0]}",
                "name": name,
                "name_folded": fold(name),
                "kind": "doctor",
                "specialty": kind,
                "location_id": clinic_id,
                "accepts_new_patients": rng.random() < 0.45,
                "accepts_verified_by": "ZZZS",
                "active": rng.random() > 0.02,
                "doctor_code": code,
                "activity_code": activity,
                "list_date": LIST_DATE,
                "fte": rng.choice([0.2, 0.5, 1.0, 1.0, 1.0]),
                "search_folded": fold(f"{name} {clinic[1]} {clinic[4]} {clinic[5]}"),
            }
        )
    connection.execute(insert(providers), rows)
    ids = [
        found_id
        for (found_id,) in connection.exec_driver_sql(
            "SELECT id FROM providers WHERE doctor_code >= '100000' ORDER BY id"
        )
    ]
    facts = [
        {
            "provider_id": provider_id,
            "source": "sledilnik-override",
            "as_of": date(2026, 9, rng.randint(1, 20)),
            "accepts": rng.random() < 0.3,
            "note": "popravek",
            "imported_at": IMPORTED_AT,
        }
        for provider_id in rng.sample(ids, len(ids) // 10)
    ]
    if facts:
        connection.execute(insert(provider_facts), facts)
