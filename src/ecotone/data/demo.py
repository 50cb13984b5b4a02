"""The demo atlas: the hubs, organisations, programmes and deals the seed articles name, each with its seed as
source, surrounded by illustrative members (source ``illustrative``) so every hub is a living ecosystem."""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass

from ..domain import (
    QUESTIONS,
    Assessment,
    ClinicalNeed,
    Deal,
    Hub,
    Innovation,
    Introduction,
    Kpi,
    KpiActual,
    Organization,
    OwnerKind,
    Participation,
    Partnership,
    Person,
    Program,
    Rating,
    Stage,
    StageEvent,
    Tie,
    Visibility,
)
from ..domain.batch import Batch
from ..domain.innovation import Endorsement, Judge, Score, Submission

__all__ = ["BRIDGE", "SEEDS", "ILLUSTRATIVE", "demo_batch", "NAMED"]

#: The articles the facts come from, as a reader would cite them (the project's source texts; data/README.md).
SEEDS = {
    "connecting": "article: Connecting Ecosystems, on healthcare innovation built between cities",
    "ecosystems": "article: H. Asumah, on healthcare innovation ecosystems (TMC, BioCity, Singapore)",
    "digital_hub": "article: Apiumhub, Digital Health Hub: building the innovation ecosystem (dev.to)",
}
ILLUSTRATIVE = "illustrative"

C, E, D = SEEDS["connecting"], SEEDS["ecosystems"], SEEDS["digital_hub"]


@dataclass(frozen=True)
class _HubFact:
    name: str
    city: str | None
    country: str
    lat: float
    lon: float
    kind: str
    source: str
    description: str


# Coordinates are the cities' own; everything else is stated in the seed named.
HUBS = [
    _HubFact("Barcelona Health Hub", "Barcelona", "ES", 41.3874, 2.1686, "hub", C,
             "One of Europe's liveliest digital health clusters: startups, hospitals, corporates, research "
             "institutions and investors in one place; a Biocat top-5 European digital health hub (biomedicine and ICT); "
             "in 2017 it drew more investors than Italy or Russia, only Tel Aviv doing better."),
    _HubFact("Madrid Health Hub", "Madrid", "ES", 40.4168, -3.7038, "hub", C,
             "Madrid's side of the Barcelona & Madrid Health Hub ecosystem; with Barcelona, home to 24% of Spain's "
             "255 health startups."),
    _HubFact("Medical Innovation Institute", None, "PL", 52.2297, 21.0122, "institute", C,
             "Polish institute connecting medtech and digital health innovators with physicians, healthcare managers "
             "and medical institutions; joined the Barcelona & Madrid Health Hub ecosystem."),
    _HubFact("Texas Medical Center", "Houston", "US", 29.7079, -95.4011, "innovation_district", E,
             "One of the world's largest medical complexes and an innovation district (TMCx accelerator)."),
    _HubFact("BioCity Nottingham", "Nottingham", "UK", 52.9548, -1.1581, "science_park", E,
             "Innovation hub for life sciences and healthcare: biopharma, medical devices, diagnostics, digital health."),
    _HubFact("Singapore Health Innovation Ecosystem", "Singapore", "SG", 1.3521, 103.8198, "national", E,
             "Government-backed initiatives and public-private partnerships across public and private healthcare."),
    _HubFact("London", "London", "UK", 51.5072, -0.1276, "hub", D,
             "Biocat top-5 European digital health hub: capital of science and the economy."),
    _HubFact("Munich", "Munich", "DE", 48.1351, 11.5820, "hub", D,
             "Biocat top-5 European digital health hub: large innovative companies."),
    _HubFact("Berlin", "Berlin", "DE", 52.5200, 13.4050, "hub", D,
             "Biocat top-5 European digital health hub: attractive to entrepreneurs."),
    _HubFact("Stockholm", "Stockholm", "SE", 59.3293, 18.0686, "hub", D,
             "Biocat top-5 European digital health hub: health technology companies working together."),
    _HubFact("Cambridge–London–Oxford", None, "UK", 51.7520, -1.2577, "region", D,
             "A strong digital health hub spanning Cambridge, London and Oxford."),
    _HubFact("Finland", None, "FI", 60.1699, 24.9384, "national", D,
             "Finnish digital health scene, home of the Vertical incubator."),
    _HubFact("Tel Aviv", "Tel Aviv", "IL", 32.0853, 34.7818, "hub", D,
             "The one ecosystem the seed ranks above Barcelona in 2017."),
]

# (name, type, hub, country, source, description, focus areas)
NAMED = [
    ("Barcelona Health Hub", "hub_operator", "Barcelona Health Hub", "ES", C,
     "Operates the Barcelona Health Hub and facilitates relationships between innovators and clinicians.", ["digital health"]),
    ("Medical Innovation Institute", "hub_operator", "Medical Innovation Institute", "PL", C,
     "Bridges Polish and Spanish innovation communities; brings innovators together with physicians.", ["medtech", "digital health"]),
    ("Texas Medical Center", "hub_operator", "Texas Medical Center", "US", E,
     "Runs the TMC innovation district and the TMCx accelerator.", ["healthcare technology"]),
    ("BioCity", "hub_operator", "BioCity Nottingham", "UK", E,
     "Runs the BioCity innovation hub; commercialises academic research.", ["biopharma", "medical devices", "diagnostics"]),
    ("HealthTech Singapore", "government", "Singapore Health Innovation Ecosystem", "SG", E,
     "Government-backed programme joining agencies, providers and technology innovators.", ["healthtech"]),
    ("Medlumics", "startup", "Madrid Health Hub", "ES", D,
     "Madrid medical startup behind Ablaview, a device for atrial fibrillation; Spain's largest health round.", ["cardiology", "medical devices"]),
    ("Oryzon Genomics", "sme", "Barcelona Health Hub", "ES", D, "Raised EUR 18.2M from Nexthera and Heights Capital.", ["biotech", "epigenetics"]),
    ("GlyCardial", "startup", "Barcelona Health Hub", "ES", D,
     "Spin-off of the Catalan Cardiovascular Science Institute.", ["cardiology", "biotech"]),
    ("Cardiovascular Science Institute of Catalonia", "research_center", "Barcelona Health Hub", "ES", D,
     "Catalan cardiovascular research institute; GlyCardial's parent.", ["cardiology"]),
    ("Dycare", "startup", "Barcelona Health Hub", "ES", D,
     "Technology for the control and clinical assessment of musculoskeletal pathologies.", ["musculoskeletal", "rehabilitation"]),
    ("Bayer", "corporate", None, "DE", D, "Gave Dycare offices and a six-month mentoring team.", ["pharma"]),
    ("Tecnocampus", "incubator", "Barcelona Health Hub", "ES", D,
     "Science park in Mataró; launched the Kenko Health Accelerator.", ["digital health", "medical devices", "biotech"]),
    ("Stanford University", "university", None, "US", D, "Partner of the Moebio programme.", ["biodesign"]),
    ("La Caixa", "corporate", "Barcelona Health Hub", "ES", D, "Partner of the Moebio programme.", ["philanthropy"]),
    ("Barcelona Activa", "government", "Barcelona Health Hub", "ES", D,
     "Barcelona's local development agency; partner of the Moebio programme.", ["entrepreneurship"]),
    ("Biocat", "industry_association", "Barcelona Health Hub", "ES", D,
     "Catalan bioregion; ranks Barcelona among the top five European digital health hubs.", ["life sciences"]),
    ("Barcinno", "other", "Barcelona Health Hub", "ES", D, "Reports Barcelona's deals and startups.", ["media"]),
    ("Ysios Capital", "investor", "Barcelona Health Hub", "ES", D, "Health investor active in 2017.", ["life sciences"]),
    ("Caixa Capital Risc", "investor", "Barcelona Health Hub", "ES", D, "Health investor; led GlyCardial's first round.", ["life sciences"]),
    ("Rothschild", "investor", None, None, D, "Investor in Spanish health in 2017.", []),
    ("Inveready", "investor", "Barcelona Health Hub", "ES", D, "Health investor active in 2017.", []),
    ("Capital Cell", "investor", "Barcelona Health Hub", "ES", D, "Health investor active in 2017.", []),
    ("Portobello Capital", "investor", "Madrid Health Hub", "ES", D, "Health investor active in 2017.", []),
    ("Apax Partners", "investor", None, None, D, "Health investor active in Spain in 2017.", []),
    ("Nexthera", "investor", None, None, D, "Invested in Oryzon Genomics.", []),
    ("Heights Capital", "investor", None, None, D, "Invested in Oryzon Genomics.", []),
    ("HealthEquity", "investor", None, None, D, "Co-invested in GlyCardial's first round.", []),
    ("XLHealth", "investor", None, "DE", D, "German venture firm for digital health that incubates startups.", ["digital health"]),
    ("Healthbox", "accelerator", "London", "UK", D, "Accelerator for London-based health companies (Foundry, Studios).", ["digital health"]),
    ("Vertical", "incubator", "Finland", "FI", D, "Finnish incubator helping founders shape and launch first ideas.", []),
    ("Hacking Health", "other", None, None, D,
     "Social organisation of innovators and experts across Europe solving health problems.", ["co-creation"]),
    ("11 Health", "startup", "Cambridge–London–Oxford", "UK", D, "Part of the Cambridge–London–Oxford hub.", []),
    ("Antidote", "startup", "Cambridge–London–Oxford", "UK", D, "Part of the Cambridge–London–Oxford hub.", ["clinical trials"]),
    ("Cambridge Cognition", "sme", "Cambridge–London–Oxford", "UK", D, "Part of the Cambridge–London–Oxford hub.", ["neuroscience"]),
    ("Px Healthcare", "startup", "Cambridge–London–Oxford", "UK", D, "Part of the Cambridge–London–Oxford hub.", []),
] + [(n, "startup", "Barcelona Health Hub", "ES", D, "Named among Barcelona's 2017 deals (Barcinno).", [])
     for n in ("21 Buttons", "500 Markets", "Acqustic", "Adsmurai", "ByHours", "B-Wom", "Carnovo", "Cornerjob",
               "Coverfy", "Dexma", "Glovo", "Agora", "Alpify")]

# (name, kind, hub, operator, source, description)
PROGRAMS = [
    ("TMCx", "accelerator", "Texas Medical Center", "Texas Medical Center", E,
     "Supports early-stage healthcare startups with mentorship, funding and access to clinical data."),
    ("Kenko Health Accelerator", "accelerator", "Barcelona Health Hub", "Tecnocampus", D,
     "Seeks startups in digital health, medical devices and biotechnology."),
    ("Moebio", "fellowship", "Barcelona Health Hub", "Barcelona Activa", D,
     "Stanford University, La Caixa and Barcelona Activa train health entrepreneurs around unmet clinical needs; "
     "1,400 needs identified."),
    ("Healthbox Foundry", "accelerator", "London", "Healthbox", D, "Brings products to larger companies."),
    ("Healthbox Studios", "accelerator", "London", "Healthbox", D, "Mentoring, smart capital and growth."),
    ("HealthTech Singapore programme", "network", "Singapore Health Innovation Ecosystem", "HealthTech Singapore", E,
     "Government-backed collaboration between agencies, health providers and technology innovators."),
]

# (recipient or None, hub or None, investors, amount, round, year, source, description)
DEALS = [
    ("Medlumics", None, [], 34_000_000, "growth", None, D, "Largest health round in Spain (Ablaview)."),
    ("Oryzon Genomics", None, ["Nexthera", "Heights Capital"], 18_200_000, "equity", None, D, "Entry of Nexthera and Heights Capital."),
    ("GlyCardial", None, ["Caixa Capital Risc", "HealthEquity"], 2_400_000, "seed", None, D, "First round."),
    (None, "Barcelona Health Hub", [], 620_000_000, "aggregate", 2017, D,
     "140 deals in Barcelona in 2017 (Barcinno), over 50% more than the year before."),
    (None, "Barcelona Health Hub", [], 887_000_000, "aggregate", 2017, D,
     "Investment the region attracted in 2017 (La Vanguardia)."),
]

# (from, to, kind, directed, source, evidence)
TIES = [
    ("Medical Innovation Institute", "Barcelona Health Hub", "membership", True, C,
     "Medical Innovation Institute joined the Barcelona & Madrid Health Hub ecosystem."),
    ("GlyCardial", "Cardiovascular Science Institute of Catalonia", "co_development", True, D, "Spin-off."),
    ("Bayer", "Dycare", "mentorship", True, D, "Offices and a six-month mentoring team."),
    ("Caixa Capital Risc", "GlyCardial", "investment", True, D, "First round, EUR 2.4M."),
    ("HealthEquity", "GlyCardial", "investment", True, D, "First round, EUR 2.4M."),
    ("Nexthera", "Oryzon Genomics", "investment", True, D, "EUR 18.2M."),
    ("Heights Capital", "Oryzon Genomics", "investment", True, D, "EUR 18.2M."),
    ("Stanford University", "Barcelona Activa", "partnership", False, D, "Moebio."),
    ("La Caixa", "Barcelona Activa", "partnership", False, D, "Moebio."),
    ("Stanford University", "La Caixa", "partnership", False, D, "Moebio."),
    ("Biocat", "Barcelona Health Hub", "membership", True, D, "Biocat ranks the Barcelona hub."),
]

# Real national regulators, placed as illustrative members (their ties are illustrative).
REGULATORS = {
    "ES": "AEMPS (Spanish Agency of Medicines and Medical Devices)", "PL": "URPL (Polish Office for Registration of "
    "Medicinal Products)", "US": "FDA (US Food and Drug Administration)", "UK": "MHRA (Medicines and Healthcare "
    "products Regulatory Agency)", "SG": "HSA (Health Sciences Authority)", "DE": "BfArM (Federal Institute for Drugs "
    "and Medical Devices)", "SE": "Swedish Medical Products Agency", "FI": "Fimea (Finnish Medicines Agency)",
    "IL": "Israeli Ministry of Health Medical Device Division",
}
_ROOTS = ["Cardia", "Neuro", "Derma", "Onco", "Pulmo", "Gluco", "Ortho", "Vita", "Medi", "Sano", "Cura", "Thera"]
_TAILS = ["Labs", "Health", "Diagnostics", "AI", "Devices", "Bio", "Care", "Sense", "Robotics", "Link"]
_AREAS = ["cardiology", "neurology", "dermatology", "oncology", "pulmonology", "diabetes", "orthopaedics",
          "geriatrics", "mental health", "radiology"]
_CATEGORIES = ["medical device", "digital therapeutic", "diagnostic", "AI software", "telemedicine", "biotech"]
_PATHWAYS = {"ES": "CE (MDR)", "PL": "CE (MDR)", "DE": "DiGA fast track", "SE": "CE (MDR)", "FI": "CE (MDR)",
             "UK": "UKCA", "US": "FDA 510(k)", "SG": "HSA Class B", "IL": "AMAR"}
#: clinical specialty → the clinical area it works in
_SPECIALTIES = {"cardiologist": "cardiology", "neurologist": "neurology", "oncologist": "oncology",
                "endocrinologist": "diabetes", "orthopaedic surgeon": "orthopaedics", "geriatrician": "geriatrics",
                "radiologist": "radiology"}
#: Where a seed names a hub's clinical strength, its university hospital has a clinician in it: Barcelona's
#: cardiology (GlyCardial, the Catalan Cardiovascular Science Institute) and Madrid's (Medlumics' Ablaview).
_LEADING_AREA = {"Barcelona Health Hub": "cardiology", "Madrid Health Hub": "cardiology"}
#: The seed's case (connecting): a Polish medtech startup whose device is refined with Spanish clinicians.
_POLISH_MEDTECH = "Medical Innovation Institute"
_FIRST = ["Ana", "Marek", "Laura", "Piotr", "Sofia", "James", "Mei", "Lukas", "Elin", "Aino", "Noa", "Carlos", "Zofia"]
_LAST = ["Garcia", "Nowak", "Smith", "Tan", "Muller", "Lindqvist", "Virtanen", "Cohen", "Lopez", "Kowalski", "Brown"]


def demo_batch(seed: int = 7) -> Batch:
    """The demo atlas as a batch (merge it with :func:`ecotone.store.merge.merge`); same seed, same atlas.

    Examples
    --------
    >>> batch = demo_batch()
    >>> len(batch.records["hub"]) >= 12
    True
    >>> {r.source for r, _ in batch.records["deal"]} >= {SEEDS["digital_hub"], ILLUSTRATIVE}
    True
    """
    rng = random.Random(seed)
    b = Batch()
    hub = {h.name: b.add(Hub(name=h.name, city=h.city, country=h.country, latitude=h.lat, longitude=h.lon,
                             kind=h.kind, description=h.description, source=h.source, visibility=Visibility.public))
           for h in HUBS}
    org: dict[str, int] = {}
    for name, kind, hub_name, country, source, description, focus in NAMED:
        org[name] = b.add(Organization(
            name=name, type=kind, hub_id=hub.get(hub_name), country=country, source=source, description=description,
            focus_areas=focus, visibility=Visibility.public,
            city=next((h.city for h in HUBS if h.name == hub_name), None)))
    for name, kind, hub_name, operator, source, description in PROGRAMS:
        pid = b.add(Program(name=name, kind=kind, hub_id=hub[hub_name], operator_id=org[operator], source=source,
                            description=description, visibility=Visibility.public))
        if name == "Moebio":
            for partner in ("Stanford University", "La Caixa", "Barcelona Activa"):
                b.add(Participation(program_id=pid, organization_id=org[partner], role="partner", source=source))
    for recipient, hub_name, investors, amount, round_type, year, source, description in DEALS:
        b.add(Deal(recipient_id=org.get(recipient), hub_id=hub.get(hub_name), investor_ids=[org[i] for i in investors],
                   amount=amount, currency="EUR", round_type=round_type, source=source, description=description,
                   date=dt.date(year, 12, 31) if year else None, visibility=Visibility.public))
    b.add(Innovation(name="Ablaview", organization_id=org["Medlumics"], category="medical device",
                     clinical_area="cardiology", stage=Stage.clinical_validation, source=D,
                     description="Device to treat atrial fibrillation, a cardiac arrhythmia.", visibility=Visibility.public))
    for a, z, kind, directed, source, evidence in TIES:
        b.add(Tie(source_id=org[a], target_id=org[z], kind=kind, directed=directed, source=source, evidence=evidence,
                  visibility=Visibility.public))
    for h in HUBS:
        _illustrate(b, rng, h, hub[h.name], org)
    _bridges(b, rng, org)
    _partnering(b, rng, org)
    _cohorts(b)
    _moebio_needs(b, hub, org)
    _challenge(b, hub, org)
    _access(b, hub)
    return b


def _access(b: Batch, hub: dict[str, int]) -> None:
    """Who sees what, as a hub would set it: the map, programmes, deals and innovations public; the bridge's
    partnership shared only between its two hubs (``network``, owned by the institute's hub, which shares with
    Barcelona); its KPIs and each evaluator's ratings for their own hub only; clinicians' contacts for their
    hospital only (with their consent)."""
    institute = hub[BRIDGE[0]]
    org_hub = {r.id: r.hub_id for r, _ in b.records["organization"]}
    names = {r.id: r.name for r, _ in b.records["organization"]}
    assessed = {r.id: org_hub[r.evaluator_organization_id] for r, _ in b.records["assessment"]}

    def access(entity: str, record) -> dict:
        if entity == "partnership":
            return {"owner_kind": OwnerKind.hub, "owner_id": institute, "visibility": Visibility.network}
        if entity in ("kpi", "kpi_actual"):
            return {"owner_kind": OwnerKind.hub, "owner_id": institute, "visibility": Visibility.hub}
        if entity in ("assessment", "rating"):
            owner = assessed[record.id if entity == "assessment" else record.assessment_id]
            return {"owner_kind": OwnerKind.hub, "owner_id": owner, "visibility": Visibility.hub}
        if entity == "person" and record.organization_id is not None and record.role == "clinician":
            domain = "".join(c for c in _ascii(names[record.organization_id]) if c.isalnum())[:30]
            local = ".".join(_ascii(record.name).removeprefix("dr. ").split())
            # Illustrative people; a real hub records each clinician's consent before their e-mail.
            return {"visibility": Visibility.public, "consent": True, "email": f"{local}@{domain}.example.org",
                    "owner_kind": OwnerKind.organization, "owner_id": record.organization_id}
        return {} if "visibility" in record.model_fields_set else {"visibility": Visibility.public}

    for entity, items in b.records.items():
        for n, (record, origin) in enumerate(items):
            fields = access(entity, record)
            if fields:  # model_copy: the fields count as given, and no half-set owner is ever validated
                items[n] = (record.model_copy(update=fields), origin)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


#: The hubs of the Polish–Spanish bridge: each shares its network records with the other in the demo.
BRIDGE = ("Medical Innovation Institute", "Barcelona Health Hub")


def _illustrative(**fields) -> dict:
    return {"source": ILLUSTRATIVE, "tags": ["illustrative"], **fields}


def _illustrate(b: Batch, rng: random.Random, h: _HubFact, hub_id: int, org: dict[str, int]) -> None:
    """Give a hub startups, hospitals with clinicians, a university, an investor, an incubator, a regulator,
    innovations at every stage and the ties between them."""
    place = h.city or h.name.split("–")[0]
    members: dict[str, list[int]] = {}

    def add(name: str, kind: str, **extra) -> int:
        full = extra.pop("full_name", None) or f"{place} {name}"
        if full in org:  # a national regulator serves several hubs
            members.setdefault(kind, []).append(org[full])
            return org[full]
        oid = b.add(Organization(**_illustrative(name=full, type=kind, hub_id=hub_id, city=h.city, country=h.country,
                                                 **extra)))
        org[full] = oid
        members.setdefault(kind, []).append(oid)
        return oid

    for n in range(2):
        add(f"{['University', 'General'][n]} Hospital", "hospital", offers=["clinical validation", "clinical pilots"],
            needs=["digital tools", "workflow software"])
    add("University", "university", offers=["research", "talent"])
    add("Health Ventures", "investor", offers=["funding"], needs=["deal flow"])
    add("Incubator", "incubator", offers=["mentorship", "office space"])
    regulator = REGULATORS.get(h.country)
    if regulator:
        add("", "regulator", full_name=regulator, offers=["regulatory advice"])
    stages = Stage.pipeline() + [Stage.stopped]
    for n in range(8):
        area = rng.choice(_AREAS)
        name = f"{rng.choice(_ROOTS)}{rng.choice(_TAILS).lower()}"
        while f"{place} {name}" in org:
            name = f"{rng.choice(_ROOTS)}{rng.choice(_TAILS).lower()}"
        stage = stages[n % len(stages)]
        medtech = h.name == _POLISH_MEDTECH and stage is Stage.clinical_validation
        if medtech:
            area = "cardiology"
        sid = add(name, "startup", focus_areas=[area], stage=None if stage is Stage.stopped else stage,
                  founded=rng.randint(2015, 2023), needs=_needs(stage), offers=[rng.choice(_CATEGORIES)],
                  size="micro")
        _innovation(b, rng, sid, f"{name} {rng.choice(['One', 'Pro', 'Care', 'Scan', 'Go'])}", area, stage, h.country,
                    "medical device" if medtech else None)
    hospitals = members["hospital"]
    for n, hid in enumerate(hospitals):
        for k in range(2):
            specialty = rng.choice(sorted(_SPECIALTIES))
            if n == k == 0 and h.name in _LEADING_AREA:
                specialty = next(s for s, a in _SPECIALTIES.items() if a == _LEADING_AREA[h.name])
            b.add(Person(source=ILLUSTRATIVE, name=f"Dr. {rng.choice(_FIRST)} {rng.choice(_LAST)}",
                         organization_id=hid, role="clinician", specialty=specialty,
                         expertise=[_SPECIALTIES[specialty]]))
    operator = next((org[n] for n, k, hn, *_ in NAMED if hn == h.name and k == "hub_operator"), None)
    for sid in members["startup"]:
        ties = [(members["incubator"][0], sid, "mentorship"), (rng.choice(hospitals), sid, "clinical_pilot")]
        if rng.random() < 0.6:
            ties.append((members["investor"][0], sid, "investment"))
        if regulator and rng.random() < 0.4:
            ties.append((members["regulator"][0], sid, "regulatory_advice"))
        if operator:
            ties.append((sid, operator, "membership"))
        for a, z, kind in ties:
            start = dt.date(rng.randint(2018, 2024), rng.randint(1, 12), 1)
            b.add(Tie(**_illustrative(source_id=a, target_id=z, kind=kind, start_date=start,
                                      weight=float(rng.randint(1, 3)))))
    b.add(Tie(**_illustrative(source_id=members["university"][0], target_id=hospitals[0], kind="partnership",
                              directed=False, start_date=dt.date(2016, 1, 1))))
    currency = {"US": "USD", "SG": "SGD", "UK": "GBP", "IL": "ILS", "SE": "SEK"}.get(h.country, "EUR")
    for sid in rng.sample(members["startup"], 3):
        b.add(Deal(source=ILLUSTRATIVE, recipient_id=sid, investor_ids=[members["investor"][0]],
                   amount=float(rng.choice([250, 500, 1200, 3000]) * 1000), currency=currency,
                   date=dt.date(rng.randint(2019, 2025), rng.randint(1, 12), 15),
                   round_type=rng.choice(["pre_seed", "seed", "series_a"])))
    area = rng.choice(_AREAS)
    article = "an" if area[0] in "aeiou" else "a"
    b.add(ClinicalNeed(problem=f"shorten the wait for {article} {area} diagnosis",
                       population=f"patients referred to {place}'s hospitals", outcome="start treatment sooner",
                       clinical_area=area, severity="moderate", hub_id=hub_id, raised_by_id=hospitals[0],
                       source=ILLUSTRATIVE))


def _needs(stage: Stage) -> list[str]:
    return {
        Stage.idea: ["clinical insight", "mentorship"], Stage.prototype: ["clinical validation", "seed funding"],
        Stage.clinical_validation: ["clinical validation", "hospital partners"],
        Stage.regulatory_approval: ["regulatory advice", "notified body"],
        Stage.market_launch: ["distribution", "series A funding"], Stage.scale: ["investors", "international markets"],
        Stage.cross_border: ["foreign clinical sites", "market access"], Stage.stopped: [],
    }[stage]


def _innovation(b: Batch, rng: random.Random, org_id: int, name: str, area: str, stage: Stage, country: str,
                category: str | None = None) -> None:
    drawn = rng.choice(_CATEGORIES)
    iid = b.add(Innovation(source=ILLUSTRATIVE, name=name, organization_id=org_id, category=category or drawn,
                           clinical_area=area, regulatory_pathway=_PATHWAYS.get(country), stage=stage))
    day = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 600))
    path = Stage.pipeline()
    reached = path[: rng.randint(2, 4)] + [stage] if stage is Stage.stopped else path[: path.index(stage) + 1]
    for step in reached:
        b.add(StageEvent(source=ILLUSTRATIVE, innovation_id=iid, stage=step, date=day))
        day += dt.timedelta(days=rng.randint(90, 420))


def _bridges(b: Batch, rng: random.Random, org: dict[str, int]) -> None:
    """Cross-border ties the seeds call for: Polish solutions refined with Spanish clinicians, and the Polish
    institute working with the Catalan bioregion."""
    orgs = [r for r, _ in b.records["organization"]]
    polish_startups = [r.id for r in orgs if r.type.value == "startup" and r.country == "PL"]
    spanish_hospitals = [r.id for r in orgs if r.type.value == "hospital" and r.country == "ES"]
    for sid in polish_startups[:3]:
        b.add(Tie(**_illustrative(source_id=rng.choice(spanish_hospitals), target_id=sid, kind="clinical_validation",
                                  start_date=dt.date(2025, rng.randint(1, 12), 1),
                                  evidence="Polish solution refined with Spanish clinicians")))
    b.add(Tie(**_illustrative(source_id=org["Medical Innovation Institute"], target_id=org["Biocat"],
                              kind="partnership", directed=False, start_date=dt.date(2025, 3, 1))))


#: Two evaluators' ratings of the bridge partnership (question → score), after the seed's account: strong shared
#: purpose and complementary sides, with language and pace the open question.
_RATINGS = {
    ("Programme lead, Medical Innovation Institute", "Medical Innovation Institute"): {
        dt.date(2025, 9, 30): dict(zip([q.code for q in QUESTIONS], [5, 4, 4, 4, 5, 5, 3, 3, 4, 3, 4, 4, 3, 4, 3])),
        dt.date(2026, 6, 30): dict(zip([q.code for q in QUESTIONS], [5, 4, 5, 4, 5, 5, 4, 4, 4, 4, 4, 5, 4, 4, 4])),
    },
    ("Innovation manager, Barcelona Health Hub", "Barcelona Health Hub"): {
        dt.date(2026, 6, 30): dict(zip([q.code for q in QUESTIONS], [4, 5, 4, 3, 4, 5, 3, 3, 3, 2, 4, 4, 2, 4, 3])),
    },
}


def _cohorts(b: Batch) -> None:
    """Accelerator cohorts, so that velocity can compare participants with the others: every other illustrative
    startup of a hub with an accelerator took part in it (chosen without the random generator, which the rest of
    the demo depends on)."""
    orgs = [r for r, _ in b.records["organization"]]
    for program, _ in b.records["program"]:
        if program.kind.value != "accelerator":
            continue
        startups = [r.id for r in orgs if r.hub_id == program.hub_id and r.type.value == "startup"
                    and r.source == ILLUSTRATIVE]
        for sid in startups[1::2]:
            b.add(Participation(program_id=program.id, organization_id=sid, role="participant", source=ILLUSTRATIVE))


def _partnering(b: Batch, rng: random.Random, org: dict[str, int]) -> None:
    """The seed's bridge as a partnership (connecting: the institute joined the Barcelona & Madrid Health Hub
    ecosystem to refine Polish solutions with Spanish clinicians), with illustrative KPIs, ratings and the
    introductions behind its pilots."""
    mii, bhh = org["Medical Innovation Institute"], org["Barcelona Health Hub"]
    pid = b.add(Partnership(name="Polish–Spanish health innovation bridge", organization_ids=[mii, bhh], source=C,
                            purpose="Refine Polish medtech and digital health solutions with Spanish clinicians "
                                    "and open the Spanish market to them", start_date=dt.date(2025, 3, 1),
                            visibility=Visibility.public))
    for name, unit, target, direction, baseline, actuals in [
        ("clinical pilots run", "pilots", 6, "increase", None, [(dt.date(2025, 9, 30), 2), (dt.date(2026, 6, 30), 3)]),
        ("new cross-border collaborations", "ties", 10, "increase", None, [(dt.date(2026, 6, 30), 5)]),
        ("time to first pilot", "months", 6, "decrease", 12, [(dt.date(2026, 6, 30), 9)]),
    ]:
        kid = b.add(Kpi(**_illustrative_record(partnership_id=pid, name=name, unit=unit, target=target,
                                               direction=direction, baseline=baseline, due_date=dt.date(2026, 12, 31))))
        for day, value in actuals:
            b.add(KpiActual(**_illustrative_record(kpi_id=kid, date=day, value=value)))
    for (evaluator, employer), rounds in _RATINGS.items():
        for day, scores in rounds.items():
            aid = b.add(Assessment(**_illustrative_record(partnership_id=pid, evaluator=evaluator, date=day,
                                                          evaluator_organization_id=org[employer])))
            for code, score in scores.items():
                b.add(Rating(**_illustrative_record(assessment_id=aid, question=code, score=score)))
    pilots = [r for r, _ in b.records["tie"] if r.kind.value == "clinical_validation" and r.start_date
              and r.start_date.year == 2025]
    polish = [r.id for r, _ in b.records["organization"] if r.country == "PL" and r.type.value == "startup"]
    spanish = [r.id for r, _ in b.records["organization"] if r.country == "ES" and r.type.value == "hospital"]
    for n, tie in enumerate(pilots):
        introduced = tie.start_date - dt.timedelta(days=rng.randint(60, 120))
        b.add(Introduction(**_illustrative_record(
            organization_id=tie.target_id, partner_id=tie.source_id, facilitator_id=mii,
            event="Barcelona–Warsaw matchmaking day 2025" if n % 2 == 0 else None, introduced_on=introduced,
            met_on=introduced + dt.timedelta(days=rng.randint(10, 40)), pilot_on=tie.start_date,
            partnered_on=tie.start_date + dt.timedelta(days=120) if n == 0 else None,
            partnership_id=pid if n == 0 else None)))
    for startup in polish[3:7]:
        introduced = dt.date(2025, rng.randint(2, 10), rng.randint(1, 28))
        met = introduced + dt.timedelta(days=rng.randint(10, 40)) if rng.random() < 0.5 else None
        b.add(Introduction(**_illustrative_record(
            organization_id=startup, partner_id=rng.choice(spanish), facilitator_id=rng.choice([mii, bhh]),
            event="Barcelona–Warsaw matchmaking day 2025", introduced_on=introduced, met_on=met)))


#: Unmet clinical needs of Barcelona in Biodesign's form, of the kind Moebio works on (seed digital_hub: Moebio,
#: with Stanford University, La Caixa and Barcelona Activa, has identified 1,400 unmet clinical needs in
#: Barcelona). The seed lists none of them: the wording, severity and prevalence here are illustrative.
#: (problem, population, outcome, clinical area, severity, people per 100,000, status, raised by (the Barcelona
#: hospital and its clinician's specialty), endorsers (hubs or organisations))
MOEBIO_NEEDS = [
    ("spot diabetic foot ulcers before they need an amputation", "people with type 2 diabetes living at home",
     "avoid amputations", "diabetes", "high", 450.0, "validated", ("University", None),
     ["Madrid Health Hub"]),
    ("detect atrial fibrillation before a first stroke", "adults over 65 seen in primary care",
     "start anticoagulation in time to prevent strokes", "cardiology", "high", 2000.0, "validated",
     ("University", "cardiologist"), ["Medical Innovation Institute"]),
    ("detect sepsis within the first hour", "adults arriving at the emergency department",
     "reduce deaths from septic shock", "critical care", "critical", 300.0, "validated", ("University", None),
     ["Madrid Health Hub", "Texas Medical Center"]),
    ("follow patients' mood between psychiatric visits", "adults discharged after a depressive episode",
     "prevent relapses and readmissions", "mental health", "moderate", 900.0, "raised", ("General", None), []),
    ("rehabilitate patients at home after a knee replacement", "adults after knee surgery",
     "recover mobility without daily hospital visits", "orthopaedics", "moderate", 150.0, "raised",
     ("General", "orthopaedic surgeon"), ["Stanford University"]),
    ("monitor the side effects of chemotherapy at home", "adults in outpatient chemotherapy",
     "treat complications before they need an admission", "oncology", "high", 250.0, "raised",
     ("University", None), []),
    ("keep patients with COPD out of hospital in winter", "older adults with chronic obstructive pulmonary disease",
     "avoid emergency admissions", "pulmonology", "high", 1100.0, "raised", ("General", None), []),
    ("measure newborns' bilirubin without drawing blood", "newborns in maternity wards",
     "treat jaundice early with fewer needle pricks", "paediatrics", "low", 60.0, "raised", ("General", None), []),
]
_MOEBIO_EVIDENCE = ("Moebio (Stanford University with La Caixa and Barcelona Activa) works with founders on the "
                    "1,400 unmet clinical needs it has identified in Barcelona; this statement is an illustrative "
                    "one of them.")
_MARKET = {Stage.market_launch, Stage.scale, Stage.cross_border}


def _moebio_needs(b: Batch, hub: dict[str, int], org: dict[str, int]) -> None:
    """Barcelona's unmet clinical needs (:data:`MOEBIO_NEEDS`), raised by the hub's hospitals and their clinicians,
    each addressed by the Barcelona innovations of its clinical area (none: a gap), its status following them
    (on the market: solved; on the way: being addressed), a few endorsed by other hubs. Chosen without the random
    generator, which the rest of the demo depends on."""
    bcn = hub["Barcelona Health Hub"]
    orgs = {r.id: r for r, _ in b.records["organization"]}
    hospitals = {o.name.split()[1]: o.id for o in orgs.values()
                 if o.hub_id == bcn and o.type.value == "hospital" and o.source == ILLUSTRATIVE}
    people = [r for r, _ in b.records["person"] if r.organization_id in hospitals.values()]
    innovations = [r for r, _ in b.records["innovation"]
                   if orgs.get(r.organization_id) and orgs[r.organization_id].hub_id == bcn
                   and r.stage is not Stage.stopped]
    for n, (problem, population, outcome, area, severity, prevalence, status, (where, specialty), endorsers) in \
            enumerate(MOEBIO_NEEDS):
        hospital = hospitals.get(where)
        clinician = next((p.id for p in people if p.organization_id == hospital
                          and (specialty is None or p.specialty == specialty)), None)
        addressing = [i for i in innovations if i.clinical_area == area]
        if any(i.stage in _MARKET for i in addressing):
            status = "solved"
        elif addressing:
            status = "being_addressed"
        # the winter admissions of COPD are the hub's own concern: seen by its members only
        private = area == "pulmonology"
        nid = b.add(ClinicalNeed(
            problem=problem, population=population, outcome=outcome, clinical_area=area, severity=severity,
            prevalence=prevalence, status=status, hub_id=bcn, raised_by_id=hospital, raised_by_person_id=clinician,
            innovation_ids=[i.id for i in addressing], evidence=_MOEBIO_EVIDENCE, source=D,
            description="Wording, severity and prevalence (people per 100,000) are illustrative.",
            owner_kind=OwnerKind.hub if private else None, owner_id=bcn if private else None,
            visibility=Visibility.hub if private else Visibility.public))
        for k, endorser in enumerate(endorsers):
            by = {"hub_id": hub[endorser]} if endorser in hub else {"organization_id": org[endorser]}
            b.add(Endorsement(need_id=nid, date=dt.date(2025, 3 + n % 6, 10 + k), source=ILLUSTRATIVE,
                              note="Their clinicians see the same need", visibility=Visibility.public, **by))


def _illustrative_record(**fields) -> dict:
    return {"source": ILLUSTRATIVE, **fields}


def _challenge(b: Batch, hub: dict[str, int], org: dict[str, int]) -> None:
    """An illustrative open-innovation challenge in Barcelona (seed: digital_hub names Moebio's unmet clinical needs
    and La Caixa among its partners): La Caixa sponsors a challenge answering one of Barcelona's needs, two of the
    hub's startups answer it, three judges score them (one declares a conflict: she advises the first startup),
    and the winner is followed into a pilot with a hospital and its innovation's next stage. Chosen without the
    random generator, which the rest of the demo depends on."""
    bcn = hub["Barcelona Health Hub"]
    orgs = [r for r, _ in b.records["organization"]]
    needs = [r for r, _ in b.records["clinical_need"] if r.hub_id == bcn]
    # one of Moebio's needs that everyone may read (the challenge is public), else the hub's first
    need = next((n for n in needs if "moebio" in f"{n.source} {getattr(n, 'evidence', '')}".lower()
                 and n.visibility is Visibility.public), needs[0] if needs else None)
    innovations = {r.organization_id: r for r, _ in b.records["innovation"]}
    events = [r for r, _ in b.records["stage_event"]]
    # the hub's illustrative startups with an innovation still moving towards the market
    startups = [o for o in orgs if o.hub_id == bcn and o.type.value == "startup" and o.source == ILLUSTRATIVE
                and o.id in innovations and innovations[o.id].stage in Stage.pipeline()[:4]][:2]
    hospitals = [o for o in orgs if o.hub_id == bcn and o.type.value == "hospital"]
    if len(startups) < 2 or not hospitals:
        return
    winner, runner_up = startups
    rubric = [{"criterion": "clinical impact", "weight": 3, "description": "How much better patients fare"},
              {"criterion": "feasibility", "weight": 2, "description": "Can it be piloted within a year"},
              {"criterion": "team", "weight": 1, "description": "Can this team carry it to patients"}]
    pid = b.add(Program(**_illustrative_record(
        name="Barcelona unmet-needs challenge 2025", kind="challenge", hub_id=bcn, operator_id=org["Barcelona Health Hub"],
        sponsor_id=org["La Caixa"], need_ids=[need.id] if need else [], prize=60_000, currency="EUR",
        start_date=dt.date(2025, 9, 15), closes_on=dt.date(2025, 11, 30), judged_by=dt.date(2025, 12, 19),
        awarded_on=dt.date(2026, 1, 20), eligibility="Startups and SMEs of the Barcelona Health Hub",
        rubric=rubric, winners=1,
        description="Answer one of the unmet clinical needs Barcelona's clinicians have raised, with a solution "
                    "that can be piloted in a Barcelona hospital within a year.",
        visibility=Visibility.public)))
    # judges' scores are for the hub that runs the challenge; the ranking and the winner are public
    kept = {"owner_kind": OwnerKind.hub, "owner_id": bcn, "visibility": Visibility.hub}
    subs = {}
    for o, status, day in ((winner, "winner", dt.date(2025, 11, 20)), (runner_up, "submitted", dt.date(2025, 11, 28))):
        subs[o.id] = b.add(Submission(**_illustrative_record(
            program_id=pid, organization_id=o.id, innovation_id=innovations[o.id].id, status=status,
            title=f"{innovations[o.id].name} for the challenge", submitted_on=day,
            summary=f"{o.name} puts forward {innovations[o.id].name}.", visibility=Visibility.public)))
    judges = [("Dr. Laura Lopez", hospitals[0].id, []), ("Marek Kowalski", org["Biocat"], []),
              ("Sofia Garcia", org["Caixa Capital Risc"], [winner.id])]  # she advises the first startup
    jid = {name: b.add(Judge(**_illustrative_record(program_id=pid, name=name, organization_id=employer,
                                                    conflict_ids=conflicts, declared_on=dt.date(2025, 12, 1),
                                                    visibility=Visibility.public)))
           for name, employer, conflicts in judges}
    marks = {("Dr. Laura Lopez", winner.id): (8, 7, 8), ("Dr. Laura Lopez", runner_up.id): (6, 6, 7),
             ("Marek Kowalski", winner.id): (7, 8, 7), ("Marek Kowalski", runner_up.id): (6, 5, 6),
             ("Sofia Garcia", runner_up.id): (7, 6, 6)}  # her conflict: she never scores the first startup
    for (name, org_id), values in marks.items():
        for criterion, value in zip(("clinical impact", "feasibility", "team"), values):
            b.add(Score(**_illustrative_record(submission_id=subs[org_id], judge_id=jid[name], criterion=criterion,
                                               value=value, **kept)))
    b.add(Participation(**_illustrative_record(program_id=pid, organization_id=winner.id, role="winner")))
    b.add(Introduction(**_illustrative_record(
        organization_id=winner.id, partner_id=hospitals[0].id, facilitator_id=org["Barcelona Health Hub"],
        program_id=pid, introduced_on=dt.date(2026, 1, 27), met_on=dt.date(2026, 2, 12),
        pilot_on=dt.date(2026, 4, 6), note="The challenge's prize includes a pilot in a Barcelona hospital.")))
    innovation = innovations[winner.id]
    path = Stage.pipeline()
    after = path[path.index(innovation.stage) + 1]
    last = max((e.date for e in events if e.innovation_id == innovation.id), default=dt.date(2025, 1, 1))
    b.add(StageEvent(**_illustrative_record(innovation_id=innovation.id, stage=after,
                                            date=max(dt.date(2026, 9, 15), last + dt.timedelta(days=1)),
                                            note="After the challenge's pilot")))
    for n, (record, origin) in enumerate(b.records["innovation"]):
        if record.id == innovation.id:
            b.records["innovation"][n] = (record.model_copy(update={"stage": after}), origin)
