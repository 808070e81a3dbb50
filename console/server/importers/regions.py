"""The insurer's regional units (``OE …``, ``IZPOSTAVA …``) -> Slovenia's statistical regions.

A unit serves the municipalities around its seat, and nearly all of them lie in the seat's
statistical region, so the seat decides. The regions are the twelve the demo data uses
(:data:`console.server.demo_data.REGIONS`).
"""

from __future__ import annotations

from console.server.importers.names import clean

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

UNIT_REGIONS: dict[str, str] = {
    # Območne enote (regional units) and their izpostave (branches).
    "OE CELJE": _SAV,
    "IZPOSTAVA LAŠKO": _SAV,
    "IZPOSTAVA MOZIRJE": _SAV,
    "IZPOSTAVA SLOVENSKE KONJICE": _SAV,
    "IZPOSTAVA ŠENTJUR PRI CELJU": _SAV,
    "IZPOSTAVA ŠMARJE PRI JELŠAH": _SAV,
    "IZPOSTAVA VELENJE": _SAV,
    "IZPOSTAVA ŽALEC": _SAV,
    "OE KOPER": _OBK,
    "IZPOSTAVA IZOLA": _OBK,
    "IZPOSTAVA PIRAN": _OBK,
    "IZPOSTAVA SEŽANA": _OBK,
    "IZPOSTAVA ILIRSKA BISTRICA": _PRN,
    "IZPOSTAVA POSTOJNA": _PRN,
    "IZPOSTAVA CERKNICA": _PRN,
    "OE KRANJ": _GOR,
    "IZPOSTAVA JESENICE": _GOR,
    "IZPOSTAVA RADOVLJICA": _GOR,
    "IZPOSTAVA ŠKOFJA LOKA": _GOR,
    "IZPOSTAVA TRŽIČ": _GOR,
    "OE KRŠKO": _POS,
    "IZPOSTAVA BREŽICE": _POS,
    "IZPOSTAVA SEVNICA": _POS,
    "OE LJUBLJANA": _OSR,
    "IZPOSTAVA DOMŽALE": _OSR,
    "IZPOSTAVA GROSUPLJE": _OSR,
    "IZPOSTAVA KAMNIK": _OSR,
    "IZPOSTAVA LITIJA": _OSR,
    "IZPOSTAVA LOGATEC": _OSR,
    "IZPOSTAVA VRHNIKA": _OSR,
    "IZPOSTAVA KOČEVJE": _JVS,
    "IZPOSTAVA RIBNICA": _JVS,
    "IZPOSTAVA HRASTNIK": _ZAS,
    "IZPOSTAVA TRBOVLJE": _ZAS,
    "IZPOSTAVA ZAGORJE": _ZAS,
    "OE MARIBOR": _POD,
    "IZPOSTAVA LENART": _POD,
    "IZPOSTAVA ORMOŽ": _POD,
    "IZPOSTAVA PTUJ": _POD,
    "IZPOSTAVA SLOVENSKA BISTRICA": _POD,
    "IZPOSTAVA RADLJE OB DRAVI": _KOR,
    "OE MURSKA SOBOTA": _POM,
    "IZPOSTAVA GORNJA RADGONA": _POM,
    "IZPOSTAVA LENDAVA": _POM,
    "IZPOSTAVA LJUTOMER": _POM,
    "OE NOVA GORICA": _GOS,
    "IZPOSTAVA AJDOVŠČINA": _GOS,
    "IZPOSTAVA IDRIJA": _GOS,
    "IZPOSTAVA TOLMIN": _GOS,
    "OE NOVO MESTO": _JVS,
    "IZPOSTAVA ČRNOMELJ": _JVS,
    "IZPOSTAVA METLIKA": _JVS,
    "IZPOSTAVA TREBNJE": _JVS,
    "OE RAVNE NA KOROŠKEM": _KOR,
    "IZPOSTAVA DRAVOGRAD": _KOR,
    "IZPOSTAVA SLOVENJ GRADEC": _KOR,
}


def region_for(unit: str) -> str:
    """The statistical region of a regional unit; an unknown unit stands for itself."""
    name = clean(unit).upper()
    return UNIT_REGIONS.get(name, clean(unit))
