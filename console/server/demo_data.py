"""The static demo catalogue: UE Ljubljana's offices, health clinics, and their services.

Plain data only; :mod:`console.server.seed` turns it into rows. Addresses are those of the real
offices and health centres as far as they are known, good enough for a demo and for tests, not
an authoritative directory. Opening hours use :class:`console.domain.calendar.OfficeHours`
syntax.
"""

from __future__ import annotations

from dataclasses import dataclass

ADMINISTRATIVE = "administrative"
HEALTH = "health"

# Typical hours of an administrative unit: long Wednesday, short Friday.
UE_HOURS = "Mon-Fri 08:00-15:00; Wed 08:00-17:00; Fri 08:00-13:00"
# A local office of the unit in a smaller municipality, open two days a week.
LOCAL_OFFICE_HOURS = "Mon 08:00-12:00; Wed 08:00-12:00, 13:00-17:00"
CLINIC_HOURS = "Mon-Fri 07:00-19:00"
SMALL_CLINIC_HOURS = "Mon-Fri 07:00-15:00; Tue, Thu 07:00-19:00"

# Doctors work a morning or an afternoon shift, alternating through the week. A doctor's slots
# are the shift intersected with the clinic's hours, so they are always within the latter.
DOCTOR_SHIFTS = (
    "Mon, Wed, Fri 07:00-13:00; Tue, Thu 13:00-19:00",
    "Mon, Wed, Fri 13:00-19:00; Tue, Thu 07:00-13:00",
)

ZZZS_SOURCE = "ZZZS seznam"


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    name_en: str
    category: str
    duration_minutes: int
    documents: tuple[str, ...]
    documents_en: tuple[str, ...]
    # For health services: the specialty of the doctors who provide it.
    specialty: str | None = None


@dataclass(frozen=True)
class OfficeSpec:
    """A branch office of the administrative unit and its clerks' counters."""

    code: str
    name: str
    address: str
    postcode: str
    town: str
    municipality: str
    lat: float
    lon: float
    counters: int
    services: tuple[str, ...]  # service codes booked at this office
    opening_hours: str = UE_HOURS
    phone: str | None = None
    region: str = "Osrednjeslovenska"


@dataclass(frozen=True)
class ClinicSpec:
    """A health centre (zdravstveni dom) or one of its units."""

    code: str
    name: str
    address: str
    postcode: str
    town: str
    municipality: str
    region: str
    lat: float
    lon: float
    # Relative size: how many doctors it gets when the doctors are shared out.
    weight: int
    # Part of the default (small) demo; the others join when a larger dataset is asked for.
    core: bool = True
    opening_hours: str = CLINIC_HOURS
    phone: str | None = None


# --- services ---------------------------------------------------------------------------------

_ID = "osebni dokument s fotografijo (osebna izkaznica, potni list ali vozniško dovoljenje)"
_ID_EN = "photo ID (identity card, passport or driving licence)"
_PHOTO = "fotografija 35 × 45 mm, ne starejša od 6 mesecev (ali e-fotografija)"
_PHOTO_EN = "photograph 35 × 45 mm, no older than 6 months (or an e-photo)"
_CARD = "kartica zdravstvenega zavarovanja"
_CARD_EN = "health insurance card"

ADMINISTRATIVE_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "ue-id-card",
        "Osebna izkaznica",
        "Identity card",
        ADMINISTRATIVE,
        15,
        (
            "dosedanja osebna izkaznica (tudi če je potekla)",
            _PHOTO,
            "za mladoletne: navzočnost enega od staršev ali zakonitega zastopnika",
        ),
        (
            "your current identity card (even if expired)",
            _PHOTO_EN,
            "for minors: one parent or legal guardian must come along",
        ),
    ),
    ServiceSpec(
        "ue-passport",
        "Potni list",
        "Passport",
        ADMINISTRATIVE,
        15,
        (
            "dosedanji potni list",
            "osebna izkaznica ali drug osebni dokument s fotografijo",
            _PHOTO,
            "za mladoletne: navzočnost enega od staršev ali zakonitega zastopnika",
        ),
        (
            "your current passport",
            "identity card or other photo ID",
            _PHOTO_EN,
            "for minors: one parent or legal guardian must come along",
        ),
    ),
    ServiceSpec(
        "ue-dl-first",
        "Vozniško dovoljenje – prva izdaja",
        "Driving licence – first issue",
        ADMINISTRATIVE,
        20,
        (_ID, _PHOTO, "potrdilo o opravljenem vozniškem izpitu", "zdravniško spričevalo"),
        (_ID_EN, _PHOTO_EN, "certificate of the passed driving test", "medical certificate"),
    ),
    ServiceSpec(
        "ue-dl-renewal",
        "Vozniško dovoljenje – podaljšanje ali zamenjava",
        "Driving licence – renewal or exchange",
        ADMINISTRATIVE,
        15,
        (
            "dosedanje vozniško dovoljenje",
            _PHOTO,
            "zdravniško spričevalo (kadar je predpisano)",
        ),
        (
            "your current driving licence",
            _PHOTO_EN,
            "medical certificate (where required)",
        ),
    ),
    ServiceSpec(
        "ue-dl-replacement",
        "Vozniško dovoljenje – izguba, kraja ali uničenje",
        "Driving licence – replacement after loss or theft",
        ADMINISTRATIVE,
        20,
        (_ID, _PHOTO, "izjava o izgubi ali potrdilo policije o prijavi tatvine"),
        (_ID_EN, _PHOTO_EN, "declaration of loss or the police report of the theft"),
    ),
    ServiceSpec(
        "ue-vehicle-reg",
        "Registracija vozila in prometno dovoljenje",
        "Vehicle registration and registration certificate",
        ADMINISTRATIVE,
        20,
        (
            _ID,
            "dokazilo o lastništvu vozila (račun ali kupoprodajna pogodba)",
            "potrdilo o skladnosti ali dosedanje prometno dovoljenje",
            "zavarovalna polica za obvezno zavarovanje",
        ),
        (
            _ID_EN,
            "proof of ownership (invoice or contract of sale)",
            "certificate of conformity or the current registration certificate",
            "compulsory insurance policy",
        ),
    ),
    ServiceSpec(
        "ue-residence-perm",
        "Prijava stalnega prebivališča",
        "Registration of permanent residence",
        ADMINISTRATIVE,
        15,
        (
            _ID,
            "dokazilo o pravici do vselitve (lastništvo, najemna pogodba "
            "ali overjeno soglasje lastnika)",
        ),
        (
            _ID_EN,
            "proof of the right to live at the address (ownership, lease "
            "or the owner's certified consent)",
        ),
    ),
    ServiceSpec(
        "ue-residence-temp",
        "Prijava začasnega prebivališča",
        "Registration of temporary residence",
        ADMINISTRATIVE,
        10,
        (_ID, "soglasje lastnika stanovanja ali najemna pogodba"),
        (_ID_EN, "the owner's consent or the lease"),
    ),
    ServiceSpec(
        "ue-firearms",
        "Orožni list in orožni posestni list",
        "Firearms licence",
        ADMINISTRATIVE,
        20,
        (
            _ID,
            "zdravniško spričevalo o zdravstveni zmožnosti za posest orožja",
            "potrdilo o usposobljenosti za ravnanje z orožjem",
        ),
        (
            _ID_EN,
            "medical certificate of fitness to hold a firearm",
            "certificate of training in the safe handling of firearms",
        ),
    ),
    ServiceSpec(
        "ue-foreigner-permit",
        "Dovoljenje za prebivanje tujca",
        "Residence permit for foreigners",
        ADMINISTRATIVE,
        30,
        (
            "veljaven potni list",
            _PHOTO,
            "dokazilo o zdravstvenem zavarovanju",
            "dokazilo o zadostnih sredstvih za preživljanje",
            "dokazilo o namenu prebivanja (npr. pogodba o zaposlitvi)",
        ),
        (
            "valid passport",
            _PHOTO_EN,
            "proof of health insurance",
            "proof of sufficient means of subsistence",
            "proof of the purpose of stay (e.g. employment contract)",
        ),
    ),
)

HEALTH_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "health-gp",
        "Družinski zdravnik – prvi pregled",
        "Family doctor – first visit",
        HEALTH,
        20,
        (
            _CARD,
            "osebni dokument",
            "izvidi in odpustnice zadnjih let ter seznam zdravil, ki jih jemljete",
        ),
        (
            _CARD_EN,
            "ID document",
            "recent medical reports and discharge letters, and a list of your medicines",
        ),
        "gp",
    ),
    ServiceSpec(
        "health-ped",
        "Pediater – prvi pregled",
        "Paediatrician – first visit",
        HEALTH,
        20,
        (
            "otrokova kartica zdravstvenega zavarovanja",
            "knjižica o cepljenju",
            "odpustnica iz porodnišnice in dosedanji izvidi",
        ),
        (
            "the child's health insurance card",
            "vaccination record",
            "maternity ward discharge letter and previous reports",
        ),
        "ped",
    ),
    ServiceSpec(
        "health-gyn",
        "Ginekolog – prvi pregled",
        "Gynaecologist – first visit",
        HEALTH,
        20,
        (_CARD, "osebni dokument", "izvid zadnjega odvzema brisa (PAP), če ga imate"),
        (_CARD_EN, "ID document", "your most recent smear test (PAP) result, if you have one"),
        "gyn",
    ),
    ServiceSpec(
        "health-den",
        "Zobozdravnik za odrasle – prvi pregled",
        "Dentist for adults – first visit",
        HEALTH,
        30,
        (_CARD, "osebni dokument", "rentgenske slike zob, če jih imate"),
        (_CARD_EN, "ID document", "dental X-rays, if you have them"),
        "den",
    ),
    ServiceSpec(
        "health-den-y",
        "Zobozdravnik za otroke in mladino – prvi pregled",
        "Dentist for children and young people – first visit",
        HEALTH,
        30,
        (
            "otrokova kartica zdravstvenega zavarovanja",
            "za mladoletne: navzočnost enega od staršev",
        ),
        ("the child's health insurance card", "for minors: a parent must come along"),
        "den-y",
    ),
    ServiceSpec(
        "health-den-s",
        "Zobozdravnik za študente – prvi pregled",
        "Dentist for students – first visit",
        HEALTH,
        30,
        (_CARD, "potrdilo o vpisu (študentska izkaznica)", "rentgenske slike zob, če jih imate"),
        (_CARD_EN, "proof of enrolment (student card)", "dental X-rays, if you have them"),
        "den-s",
    ),
    ServiceSpec(
        "health-no-doctor",
        "Ambulanta za neopredeljene paciente",
        "Clinic for patients without a chosen doctor",
        HEALTH,
        15,
        (_CARD, "osebni dokument", "izvidi in seznam zdravil, ki jih jemljete"),
        (_CARD_EN, "ID document", "medical reports and a list of your medicines"),
        "nodoc",
    ),
)

SERVICES: tuple[ServiceSpec, ...] = ADMINISTRATIVE_SERVICES + HEALTH_SERVICES

SPECIALTY_SERVICE = {s.specialty: s.code for s in HEALTH_SERVICES if s.specialty}
# How a clinic's doctors are shared out over the specialties, in the order they are assigned:
# every clinic with at least six doctors has each specialty; bigger ones get more family doctors
# and dentists.
SPECIALTY_CYCLE = (
    "gp", "den", "ped", "gyn", "nodoc", "den-y",
    "gp", "gp", "den", "ped", "gp", "den", "gyn", "gp", "den-y", "gp", "den", "ped", "gp", "gyn",
)  # fmt: skip

# --- UE Ljubljana -----------------------------------------------------------------------------

_ALL_UE = tuple(s.code for s in ADMINISTRATIVE_SERVICES)
_LOCAL_UE = ("ue-id-card", "ue-passport", "ue-residence-perm", "ue-residence-temp")

OFFICES: tuple[OfficeSpec, ...] = (
    OfficeSpec(
        "ue-lj-center",
        "UE Ljubljana, Izpostava Center",
        "Tobačna ulica 5",
        "1000",
        "Ljubljana",
        "Ljubljana",
        46.0475,
        14.4978,
        counters=10,
        services=_ALL_UE,
        phone="+38613063000",
    ),
    OfficeSpec(
        "ue-lj-bezigrad",
        "UE Ljubljana, Izpostava Bežigrad",
        "Linhartova cesta 13",
        "1000",
        "Ljubljana",
        "Ljubljana",
        46.0652,
        14.5132,
        counters=6,
        services=_ALL_UE[:-1],
    ),
    OfficeSpec(
        "ue-lj-moste-polje",
        "UE Ljubljana, Izpostava Moste-Polje",
        "Proletarska cesta 1",
        "1000",
        "Ljubljana",
        "Ljubljana",
        46.0583,
        14.5386,
        counters=6,
        services=_ALL_UE[:-1],
    ),
    OfficeSpec(
        "ue-lj-siska",
        "UE Ljubljana, Izpostava Šiška",
        "Kebetova ulica 1",
        "1000",
        "Ljubljana",
        "Ljubljana",
        46.0708,
        14.4853,
        counters=6,
        services=_ALL_UE[:-1],
    ),
    OfficeSpec(
        "ue-lj-vic-rudnik",
        "UE Ljubljana, Izpostava Vič-Rudnik",
        "Tržaška cesta 2",
        "1000",
        "Ljubljana",
        "Ljubljana",
        46.0477,
        14.4905,
        counters=5,
        services=_ALL_UE[:-1],
    ),
    OfficeSpec(
        "ue-lj-medvode",
        "UE Ljubljana, Krajevni urad Medvode",
        "Cesta komandanta Staneta 12",
        "1215",
        "Medvode",
        "Medvode",
        46.1412,
        14.4113,
        counters=2,
        services=(*_LOCAL_UE, "ue-dl-renewal"),
        opening_hours="Mon-Thu 08:00-12:00; Wed 08:00-12:00, 13:00-17:00",
    ),
    OfficeSpec(
        "ue-lj-brezovica",
        "UE Ljubljana, Krajevni urad Brezovica",
        "Tržaška cesta 390",
        "1351",
        "Brezovica pri Ljubljani",
        "Brezovica",
        46.0304,
        14.4120,
        counters=1,
        services=_LOCAL_UE,
        opening_hours=LOCAL_OFFICE_HOURS,
    ),
    OfficeSpec(
        "ue-lj-dobrova",
        "UE Ljubljana, Krajevni urad Dobrova",
        "Stara cesta 19",
        "1356",
        "Dobrova",
        "Dobrova - Polhov Gradec",
        46.0476,
        14.4152,
        counters=1,
        services=_LOCAL_UE,
        opening_hours="Tue 08:00-12:00; Thu 08:00-12:00, 13:00-16:00",
    ),
    OfficeSpec(
        "ue-lj-dol",
        "UE Ljubljana, Krajevni urad Dol pri Ljubljani",
        "Dol pri Ljubljani 1",
        "1262",
        "Dol pri Ljubljani",
        "Dol pri Ljubljani",
        46.0886,
        14.6420,
        counters=1,
        services=_LOCAL_UE,
        opening_hours="Tue 08:00-12:00; Thu 08:00-12:00, 13:00-16:00",
    ),
    OfficeSpec(
        "ue-lj-horjul",
        "UE Ljubljana, Krajevni urad Horjul",
        "Slovenska cesta 17",
        "1354",
        "Horjul",
        "Horjul",
        46.0225,
        14.2993,
        counters=1,
        services=_LOCAL_UE,
        opening_hours="Mon 08:00-12:00; Wed 08:00-12:00, 13:00-16:00",
    ),
    OfficeSpec(
        "ue-lj-ig",
        "UE Ljubljana, Krajevni urad Ig",
        "Govekarjeva cesta 6",
        "1292",
        "Ig",
        "Ig",
        45.9600,
        14.5283,
        counters=1,
        services=_LOCAL_UE,
        opening_hours=LOCAL_OFFICE_HOURS,
    ),
    OfficeSpec(
        "ue-lj-skofljica",
        "UE Ljubljana, Krajevni urad Škofljica",
        "Šmarska cesta 3",
        "1291",
        "Škofljica",
        "Škofljica",
        45.9840,
        14.5770,
        counters=1,
        services=_LOCAL_UE,
        opening_hours=LOCAL_OFFICE_HOURS,
    ),
    OfficeSpec(
        "ue-lj-velike-lasce",
        "UE Ljubljana, Krajevni urad Velike Lašče",
        "Levstikov trg 1",
        "1315",
        "Velike Lašče",
        "Velike Lašče",
        45.8323,
        14.6364,
        counters=1,
        services=_LOCAL_UE,
        opening_hours="Tue 08:00-12:00; Thu 08:00-12:00, 13:00-16:00",
    ),
    OfficeSpec(
        "ue-lj-vodice",
        "UE Ljubljana, Krajevni urad Vodice",
        "Kopitarjev trg 1",
        "1217",
        "Vodice",
        "Vodice",
        46.1897,
        14.4937,
        counters=1,
        services=_LOCAL_UE,
        opening_hours="Mon 08:00-12:00; Thu 08:00-12:00, 13:00-16:00",
    ),
)

# --- health centres ---------------------------------------------------------------------------


def _zd(
    code: str,
    name: str,
    address: str,
    postcode: str,
    town: str,
    region: str,
    lat: float,
    lon: float,
    weight: int,
    *,
    municipality: str | None = None,
    core: bool = True,
    hours: str = CLINIC_HOURS,
) -> ClinicSpec:
    return ClinicSpec(
        code=code,
        name=name,
        address=address,
        postcode=postcode,
        town=town,
        municipality=municipality or town,
        region=region,
        lat=lat,
        lon=lon,
        weight=weight,
        core=core,
        opening_hours=hours,
    )


_OSR = "Osrednjeslovenska"
_POD = "Podravska"
_SAV = "Savinjska"
_GOR = "Gorenjska"
_OBK = "Obalno-kraška"
_GOS = "Goriška"
_JVS = "Jugovzhodna Slovenija"
_POM = "Pomurska"
_KOR = "Koroška"
_ZAS = "Zasavska"
_POS = "Posavska"
_PRN = "Primorsko-notranjska"

REGIONS = (_OSR, _POD, _SAV, _GOR, _OBK, _GOS, _JVS, _POM, _KOR, _ZAS, _POS, _PRN)

CLINICS: tuple[ClinicSpec, ...] = (
    # Osrednjeslovenska: the units of ZD Ljubljana and the towns around.
    _zd("zd-lj-center", "ZD Ljubljana, enota Center", "Metelkova ulica 9", "1000",
        "Ljubljana", _OSR, 46.0569, 14.5161, 8),
    _zd("zd-lj-bezigrad", "ZD Ljubljana, enota Bežigrad", "Kržičeva ulica 10", "1000",
        "Ljubljana", _OSR, 46.0712, 14.5126, 6),
    _zd("zd-lj-moste-polje", "ZD Ljubljana, enota Moste-Polje", "Prvomajska ulica 5", "1000",
        "Ljubljana", _OSR, 46.0558, 14.5302, 6),
    _zd("zd-lj-siska", "ZD Ljubljana, enota Šiška", "Derčeva ulica 5", "1000",
        "Ljubljana", _OSR, 46.0688, 14.4836, 6),
    _zd("zd-lj-vic-rudnik", "ZD Ljubljana, enota Vič-Rudnik", "Šestova ulica 10", "1000",
        "Ljubljana", _OSR, 46.0450, 14.4931, 6),
    _zd("zd-lj-sentvid", "ZD Ljubljana, enota Šentvid", "Ob zdravstvenem domu 1", "1210",
        "Ljubljana-Šentvid", _OSR, 46.1018, 14.4713, 3, municipality="Ljubljana", core=False),
    _zd("zd-domzale", "ZD Domžale", "Mestni trg 2", "1230", "Domžale", _OSR,
        46.1378, 14.5945, 4, core=False),
    _zd("zd-kamnik", "ZD Kamnik", "Novi trg 26", "1241", "Kamnik", _OSR,
        46.2252, 14.6124, 3, core=False),
    _zd("zd-grosuplje", "ZD Grosuplje", "Cesta na Krko 11", "1290", "Grosuplje", _OSR,
        45.9546, 14.6586, 3, core=False),
    _zd("zd-vrhnika", "ZD Vrhnika", "Cesta 6. maja 11", "1360", "Vrhnika", _OSR,
        45.9633, 14.2958, 2, core=False, hours=SMALL_CLINIC_HOURS),
    _zd("zd-litija", "ZD Litija", "Partizanska pot 8a", "1270", "Litija", _OSR,
        46.0576, 14.8254, 2, core=False, hours=SMALL_CLINIC_HOURS),
    # Podravska
    _zd("zd-maribor", "ZD dr. Adolfa Drolca Maribor", "Ulica talcev 9", "2000", "Maribor",
        _POD, 46.5596, 15.6433, 10),
    _zd("zd-ptuj", "ZD Ptuj", "Potrčeva cesta 19a", "2250", "Ptuj", _POD,
        46.4211, 15.8700, 4),
    _zd("zd-slovenska-bistrica", "ZD Slovenska Bistrica", "Partizanska ulica 30", "2310",
        "Slovenska Bistrica", _POD, 46.3925, 15.5731, 2, core=False, hours=SMALL_CLINIC_HOURS),
    _zd("zd-ormoz", "ZD Ormož", "Ptujska cesta 33", "2270", "Ormož", _POD,
        46.4093, 16.1447, 1, core=False, hours=SMALL_CLINIC_HOURS),
    _zd("zd-lenart", "ZD Lenart", "Maistrova ulica 22", "2230", "Lenart v Slovenskih goricah",
        _POD, 46.5770, 15.8318, 1, municipality="Lenart", core=False, hours=SMALL_CLINIC_HOURS),
    # Savinjska
    _zd("zd-celje", "ZD Celje", "Gregorčičeva ulica 5", "3000", "Celje", _SAV,
        46.2306, 15.2630, 7),
    _zd("zd-velenje", "ZD Velenje", "Vodnikova cesta 1", "3320", "Velenje", _SAV,
        46.3592, 15.1120, 4),
    _zd("zd-zalec", "ZD Žalec", "Prešernova ulica 4", "3310", "Žalec", _SAV,
        46.2517, 15.1647, 2, core=False),
    _zd("zd-sentjur", "ZD Šentjur", "Cesta Leona Dobrotinška 7", "3230", "Šentjur", _SAV,
        46.2170, 15.3970, 1, core=False, hours=SMALL_CLINIC_HOURS),
    _zd("zd-slovenske-konjice", "ZD Slovenske Konjice", "Mestni trg 1", "3210",
        "Slovenske Konjice", _SAV, 46.3373, 15.4215, 1, core=False, hours=SMALL_CLINIC_HOURS),
    # Gorenjska
    _zd("zd-kranj", "ZD Kranj", "Gosposvetska ulica 10", "4000", "Kranj", _GOR,
        46.2439, 14.3556, 6),
    _zd("zd-jesenice", "ZD Jesenice", "Cesta maršala Tita 78", "4270", "Jesenice", _GOR,
        46.4330, 14.0617, 3),
    _zd("zd-skofja-loka", "ZD Škofja Loka", "Stara cesta 10", "4220", "Škofja Loka", _GOR,
        46.1667, 14.3066, 3, core=False),
    _zd("zd-radovljica", "ZD Radovljica", "Kopališka cesta 7", "4240", "Radovljica", _GOR,
        46.3444, 14.1744, 2, core=False),
    _zd("zd-trzic", "ZD Tržič", "Blejska cesta 10", "4290", "Tržič", _GOR,
        46.3621, 14.3100, 1, core=False, hours=SMALL_CLINIC_HOURS),
    # Obalno-kraška
    _zd("zd-koper", "ZD Koper", "Dellavallejeva ulica 3", "6000", "Koper", _OBK,
        45.5428, 13.7316, 5),
    _zd("zd-izola", "ZD Izola", "Ulica Oktobrske revolucije 11", "6310", "Izola", _OBK,
        45.5373, 13.6604, 2, core=False),
    _zd("zd-piran", "ZD Piran", "Kidričevo nabrežje 6", "6330", "Piran", _OBK,
        45.5283, 13.5697, 2, core=False),
    _zd("zd-sezana", "ZD Sežana", "Partizanska cesta 24", "6210", "Sežana", _OBK,
        45.7070, 13.8728, 2, core=False, hours=SMALL_CLINIC_HOURS),
    # Goriška
    _zd("zd-nova-gorica", "ZD Nova Gorica", "Rejčeva ulica 4", "5000", "Nova Gorica", _GOS,
        45.9580, 13.6493, 5),
    _zd("zd-ajdovscina", "ZD Ajdovščina", "Tovarniška cesta 3", "5270", "Ajdovščina", _GOS,
        45.8862, 13.9048, 2, core=False),
    _zd("zd-tolmin", "ZD Tolmin", "Prešernova ulica 6a", "5220", "Tolmin", _GOS,
        46.1839, 13.7326, 1, core=False, hours=SMALL_CLINIC_HOURS),
    _zd("zd-idrija", "ZD Idrija", "Otiški vrh 9a", "5280", "Idrija", _GOS,
        46.0029, 14.0272, 1, core=False, hours=SMALL_CLINIC_HOURS),
    # Jugovzhodna Slovenija
    _zd("zd-novo-mesto", "ZD Novo mesto", "Kandijska cesta 4", "8000", "Novo mesto", _JVS,
        45.8013, 15.1720, 5),
    _zd("zd-kocevje", "ZD Kočevje", "Roška cesta 18", "1330", "Kočevje", _JVS,
        45.6410, 14.8590, 2, core=False),
    _zd("zd-crnomelj", "ZD Črnomelj", "Delavska pot 4", "8340", "Črnomelj", _JVS,
        45.5717, 15.1891, 1, core=False, hours=SMALL_CLINIC_HOURS),
    _zd("zd-trebnje", "ZD Trebnje", "Goliev trg 3", "8210", "Trebnje", _JVS,
        45.9047, 15.0108, 1, core=False, hours=SMALL_CLINIC_HOURS),
    # Pomurska
    _zd("zd-murska-sobota", "ZD Murska Sobota", "Grajska ulica 24", "9000", "Murska Sobota",
        _POM, 46.6614, 16.1648, 4),
    _zd("zd-lendava", "ZD Lendava", "Kidričeva ulica 34", "9220", "Lendava", _POM,
        46.5631, 16.4519, 1, core=False, hours=SMALL_CLINIC_HOURS),
    _zd("zd-ljutomer", "ZD Ljutomer", "Cesta I. slovenskega tabora 2", "9240", "Ljutomer",
        _POM, 46.5207, 16.1973, 1, core=False, hours=SMALL_CLINIC_HOURS),
    _zd("zd-gornja-radgona", "ZD Gornja Radgona", "Ulica Ivana Regna 2", "9250",
        "Gornja Radgona", _POM, 46.6731, 15.9922, 1, core=False, hours=SMALL_CLINIC_HOURS),
    # Koroška
    _zd("zd-slovenj-gradec", "ZD Slovenj Gradec", "Vorančev trg 1", "2380",
        "Slovenj Gradec", _KOR, 46.5106, 15.0806, 3),
    _zd("zd-ravne", "ZD Ravne na Koroškem", "Ob Suhi 11", "2390", "Ravne na Koroškem",
        _KOR, 46.5436, 14.9640, 2, core=False),
    _zd("zd-dravograd", "ZD Dravograd", "Meža 4", "2370", "Dravograd", _KOR,
        46.5883, 15.0211, 1, core=False, hours=SMALL_CLINIC_HOURS),
    # Zasavska
    _zd("zd-trbovlje", "ZD Trbovlje", "Rudarska cesta 12", "1420", "Trbovlje", _ZAS,
        46.1546, 15.0532, 2),
    _zd("zd-zagorje", "ZD Zagorje ob Savi", "Cesta zmage 1", "1410", "Zagorje ob Savi", _ZAS,
        46.1320, 14.9960, 1, core=False, hours=SMALL_CLINIC_HOURS),
    # Posavska
    _zd("zd-krsko", "ZD Krško", "Cesta krških žrtev 132c", "8270", "Krško", _POS,
        45.9560, 15.4900, 2),
    _zd("zd-brezice", "ZD Brežice", "Černelčeva cesta 8", "8250", "Brežice", _POS,
        45.9040, 15.5920, 2, core=False),
    _zd("zd-sevnica", "ZD Sevnica", "Trg svobode 14", "8290", "Sevnica", _POS,
        46.0090, 15.3150, 1, core=False, hours=SMALL_CLINIC_HOURS),
    # Primorsko-notranjska
    _zd("zd-postojna", "ZD Postojna", "Prečna ulica 2", "6230", "Postojna", _PRN,
        45.7745, 14.2150, 2),
    _zd("zd-ilirska-bistrica", "ZD Ilirska Bistrica", "Gregorčičeva cesta 8", "6250",
        "Ilirska Bistrica", _PRN, 45.5690, 14.2420, 1, core=False, hours=SMALL_CLINIC_HOURS),
    _zd("zd-cerknica", "ZD Cerknica", "Cesta 4. maja 17", "1380", "Cerknica", _PRN,
        45.7930, 14.3630, 1, core=False, hours=SMALL_CLINIC_HOURS),
)  # fmt: skip

# --- callers ----------------------------------------------------------------------------------

EMAIL_DOMAINS = (
    ("gmail.com", 40),
    ("siol.net", 14),
    ("t-2.net", 8),
    ("telemach.net", 5),
    ("amis.net", 4),
    ("hotmail.com", 7),
    ("outlook.com", 6),
    ("yahoo.com", 5),
    ("guest.arnes.si", 6),
    ("icloud.com", 3),
    ("gmx.net", 2),
)
# Caller languages and their shares in ‰.
LANGUAGES = (("sl", 955), ("en", 15), ("hr", 12), ("bs", 6), ("sr", 5), ("it", 3), ("hu", 2),
             ("de", 2))  # fmt: skip
# Landline area codes (after +386) and their shares: Ljubljana dominates.
LANDLINE_AREAS = (("1", 45), ("2", 15), ("3", 14), ("4", 10), ("5", 9), ("7", 7))
FLAGS = ('["interpreter"]', '["hearing"]', '["mobility"]', '["interpreter"]', '["sight"]')
