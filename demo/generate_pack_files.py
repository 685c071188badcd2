"""Generate the demo files of the budget, subventions and restauration_collective packs.

Deterministic: every random draw comes from `random.Random(<fixed seed>)`, so running the
script twice writes identical bytes. Run: python demo/generate_pack_files.py

- Budgets (SCDL budget 0.8.3): a compte administratif 2024 per commune, M57 nomenclature
  (plausible chapters and accounts by nature), figures INVENTED but sized on each
  commune's population and profile (seaside resorts have more tax revenue, staff and
  tourist tax). Same layout as Crach's real CA 2021 (the totem2csv / yatotem2scdl
  convention: BGT_CONTNAT holds the chapter, BGT_NATURE the account), UTF-8, comma, CRLF.
  Crach's real CA 2021 (files/crach/budget_ca2021.csv) is not touched.
- Subventions (SCDL subventions 2.1.1): 2024 grants of Auray, Carnac, Pluvigner and
  Quiberon to INVENTED local associations, with invented SIRETs (valid Luhn keys) and RNA
  numbers. Each budget's account 6574 (subventions aux associations) is the sum of that
  commune's grants in cash. Quiberon's file is a spreadsheet export (Windows-1252, `;`,
  dd/mm/yyyy, decimal commas: the hub repairs these) and is DELIBERATELY NON-CONFORMANT
  with two faults no normalisation can repair: one beneficiary SIRET with a mistyped digit
  (wrong Luhn key) and one grant whose datesPeriodeVersement (required) is left empty.
- Canteens: extracts of the REAL ma-cantine 2021 télédéclarations file (the project's
  byte-for-byte copy, portals/auray/cantines_teledeclarations_2021.csv), header plus the
  rows whose canteen_city_insee_code is the commune, lines copied byte for byte. Only
  Carnac and Pluvigner have rows in that file (Crach and Quiberon have none, so they get
  no extract; Auray's portal serves the whole file).
"""

# ruff: noqa: E501  (the tables below keep one record a line)
from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from pathlib import Path

DEMO = Path(__file__).parent
YEAR = 2024
CANTEENS_SOURCE = DEMO / "portals" / "auray" / "cantines_teledeclarations_2021.csv"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def with_luhn_key(stem: str) -> str:
    """`stem` followed by the one digit that makes the whole number pass Luhn."""
    return next(stem + k for k in "0123456789" if luhn_ok(stem + k))


def siret_of(siren: str) -> str:
    """A well-formed SIRET for the town hall: the SIREN and the first NIC 0001k whose key
    passes Luhn. For Crach that is 21560046100010, the SIRET of its real budget file;
    the other communes' actual NICs were not checked."""
    return with_luhn_key(siren + "0001")


# slug: INSEE, SIREN, name, inhabitants (as in generate_water_volumes.py), profile, where
# the commune publishes (its CKAN portal, its plain files, or the inbox).
COMMUNES = {
    "auray": ("56007", "215600073", "Auray", 14_100, "town", "portals/auray"),
    "carnac": ("56034", "215600347", "Carnac", 4_300, "resort", "portals/carnac"),
    "crach": ("56046", "215600461", "Crach", 3_300, "coast", "files/crach"),
    "quiberon": ("56186", "215601865", "Quiberon", 4_900, "resort", "inbox/quiberon"),
    "pluvigner": ("56177", "215601774", "Pluvigner", 7_600, "rural", "files/pluvigner"),
}

# ---------------------------------------------------------------------------------------
# Budget: compte administratif 2024
# ---------------------------------------------------------------------------------------

BUDGET_HEADER = (
    "BGT_NATDEC BGT_ANNEE BGT_SIRET BGT_NOM BGT_CONTNAT BGT_CONTNAT_LABEL BGT_NATURE BGT_NATURE_LABEL BGT_FONCTION BGT_FONCTION_LABEL BGT_OPERATION "
    "BGT_SECTION BGT_OPBUDG BGT_CODRD BGT_MTREAL BGT_MTBUDGPREC BGT_MTRARPREC BGT_MTPROPNOUV BGT_MTPREV BGT_CREDOUV BGT_MTRAR3112 BGT_ARTSPE"
).split()
CHAPTERS = {
    "011": "Charges à caractère général",
    "012": "Charges de personnel et frais assimilés",
    "014": "Atténuations de produits",
    "65": "Autres charges de gestion courante",
    "66": "Charges financières",
    "67": "Charges spécifiques",
    "042": "Opérations d'ordre de transfert entre sections",
    "023": "Virement à la section d'investissement",
    "013": "Atténuations de charges",
    "70": "Produits des services, du domaine et ventes diverses",
    "731": "Fiscalité locale",
    "74": "Dotations et participations",
    "75": "Autres produits de gestion courante",
    "002": "Résultat de fonctionnement reporté",
    "10": "Dotations, fonds divers et réserves",
    "13": "Subventions d'investissement",
    "16": "Emprunts et dettes assimilées",
    "20": "Immobilisations incorporelles",
    "204": "Subventions d'équipement versées",
    "21": "Immobilisations corporelles",
    "23": "Immobilisations en cours",
    "040": "Opérations d'ordre de transfert entre sections",
    "021": "Virement de la section de fonctionnement",
}
FON, INV = "fonctionnement", "investissement"
DEP, REC = "dépense", "recette"

# chapter, account, label, section, sense, euros per inhabitant (reference commune).
# Profile multipliers below adjust them; None lines are computed (6574, 6811, 28xx...).
# fmt: off
REAL_LINES = [
    ("011", "60611", "Eau et assainissement", FON, DEP, 4.0),
    ("011", "60612", "Énergie - Électricité", FON, DEP, 26.0),
    ("011", "60621", "Combustibles", FON, DEP, 6.0),
    ("011", "60622", "Carburants", FON, DEP, 5.0),
    ("011", "60623", "Alimentation", FON, DEP, 24.0),
    ("011", "60631", "Fournitures d'entretien", FON, DEP, 4.0),
    ("011", "60632", "Fournitures de petit équipement", FON, DEP, 5.0),
    ("011", "6064", "Fournitures administratives", FON, DEP, 2.0),
    ("011", "6067", "Fournitures scolaires", FON, DEP, 3.0),
    ("011", "611", "Contrats de prestations de services", FON, DEP, 45.0),
    ("011", "6135", "Locations mobilières", FON, DEP, 4.0),
    ("011", "615221", "Entretien et réparations bâtiments publics", FON, DEP, 12.0),
    ("011", "615231", "Entretien et réparations voiries", FON, DEP, 14.0),
    ("011", "6156", "Maintenance", FON, DEP, 10.0),
    ("011", "6161", "Multirisques", FON, DEP, 6.0),
    ("011", "6226", "Honoraires", FON, DEP, 4.0),
    ("011", "6232", "Fêtes et cérémonies", FON, DEP, 8.0),
    ("011", "6247", "Transports collectifs", FON, DEP, 5.0),
    ("011", "6261", "Frais d'affranchissement", FON, DEP, 1.5),
    ("011", "6262", "Frais de télécommunications", FON, DEP, 4.0),
    ("011", "6283", "Frais de nettoyage des locaux", FON, DEP, 3.0),
    ("012", "6336", "Cotisations au centre national et aux centres de gestion de la fonction publique territoriale", FON, DEP, 6.0),
    ("012", "6411", "Personnel titulaire", FON, DEP, 225.0),
    ("012", "6413", "Personnel non titulaire", FON, DEP, 60.0),
    ("012", "6451", "Cotisations à l'U.R.S.S.A.F.", FON, DEP, 40.0),
    ("012", "6453", "Cotisations aux caisses de retraites", FON, DEP, 80.0),
    ("012", "6455", "Cotisations pour assurance du personnel", FON, DEP, 12.0),
    ("014", "739223", "Fonds de péréquation des ressources communales et intercommunales", FON, DEP, 5.0),
    ("65", "6512", "Droits d'utilisation - informatique en nuage", FON, DEP, 2.0),
    ("65", "6531", "Indemnités", FON, DEP, 12.0),
    ("65", "6533", "Cotisations de retraite", FON, DEP, 1.0),
    ("65", "6553", "Service d'incendie", FON, DEP, 25.0),
    ("65", "6558", "Autres contributions obligatoires", FON, DEP, 20.0),
    ("65", "657362", "CCAS", FON, DEP, 15.0),
    ("65", "6574", "Subventions de fonctionnement aux associations et autres personnes de droit privé", FON, DEP, None),
    ("66", "66111", "Intérêts réglés à l'échéance", FON, DEP, 15.0),
    ("67", "673", "Titres annulés (sur exercices antérieurs)", FON, DEP, 0.5),
    ("013", "6419", "Remboursements sur rémunérations du personnel", FON, REC, 6.0),
    ("70", "70311", "Concessions dans les cimetières (produit net)", FON, REC, 1.0),
    ("70", "70321", "Droits de stationnement et de location sur la voie publique", FON, REC, 2.0),
    ("70", "7062", "Redevances et droits des services à caractère culturel", FON, REC, 2.0),
    ("70", "7066", "Redevances et droits des services à caractère social", FON, REC, 8.0),
    ("70", "7067", "Redevances et droits des services périscolaires et d'enseignement", FON, REC, 30.0),
    ("70", "70846", "Mise à disposition de personnel facturée au GFP de rattachement", FON, REC, 4.0),
    ("731", "73111", "Impôts directs locaux", FON, REC, 500.0),
    ("731", "73211", "Attribution de compensation", FON, REC, 60.0),
    ("731", "7351", "Taxe sur la consommation finale d'électricité", FON, REC, 12.0),
    ("731", "7362", "Taxe de séjour", FON, REC, 2.0),
    ("74", "7411", "Dotation forfaitaire", FON, REC, 100.0),
    ("74", "74127", "Dotation nationale de péréquation", FON, REC, 15.0),
    ("74", "744", "FCTVA", FON, REC, 2.0),
    ("74", "7473", "Départements", FON, REC, 3.0),
    ("74", "7478", "Autres organismes", FON, REC, 12.0),
    ("74", "74834", "Compensation au titre des exonérations des taxes foncières", FON, REC, 10.0),
    ("75", "752", "Revenus des immeubles", FON, REC, 8.0),
    ("002", "002", "Résultat de fonctionnement reporté", FON, REC, 90.0),
    ("16", "1641", "Emprunts en euros", INV, DEP, 45.0),
    ("20", "2031", "Frais d'études", INV, DEP, 8.0),
    ("20", "2051", "Concessions et droits similaires", INV, DEP, 2.0),
    ("204", "2041582", "Bâtiments et installations", INV, DEP, 5.0),
    ("21", "2111", "Terrains nus", INV, DEP, 10.0),
    ("21", "21312", "Bâtiments scolaires", INV, DEP, 20.0),
    ("21", "2135", "Installations générales, agencements, aménagements des constructions", INV, DEP, 15.0),
    ("21", "2151", "Réseaux de voirie", INV, DEP, 40.0),
    ("21", "2152", "Installations de voirie", INV, DEP, 8.0),
    ("21", "2182", "Matériel de transport", INV, DEP, 6.0),
    ("21", "21838", "Autre matériel informatique", INV, DEP, 4.0),
    ("21", "21848", "Autres matériels de bureau et mobiliers", INV, DEP, 3.0),
    ("21", "2188", "Autres immobilisations corporelles", INV, DEP, 10.0),
    ("23", "2313", "Constructions", INV, DEP, 120.0),
    ("23", "2315", "Installations, matériel et outillage techniques", INV, DEP, 60.0),
    ("10", "10222", "FCTVA", INV, REC, 35.0),
    ("10", "10226", "Taxe d'aménagement", INV, REC, 15.0),
    ("10", "1068", "Excédents de fonctionnement capitalisés", INV, REC, 120.0),
    ("13", "1321", "État et établissements nationaux", INV, REC, 25.0),
    ("13", "1322", "Régions", INV, REC, 10.0),
    ("13", "1323", "Départements", INV, REC, 25.0),
    ("16", "1641", "Emprunts en euros", INV, REC, 60.0),
]
# fmt: on
# Profile multipliers by account (or chapter): seaside resorts have second homes (tax),
# seasonal staff, tourist tax and paid parking; a town centre has more services.
PROFILES = {
    "town": {"011": 1.1, "012": 1.05, "73111": 1.2, "7362": 1.5, "70321": 3.0, "7411": 0.9},
    "resort": {
        "011": 1.45,
        "012": 1.45,
        "73111": 1.55,
        "7362": 45.0,
        "70321": 12.0,
        "7411": 1.1,
        "6232": 2.0,
        "1641": 0.0,
    },
    "coast": {"011": 1.1, "012": 0.85, "73111": 1.05, "7362": 8.0, "70321": 3.0, "1641": 0.0},
    "rural": {"011": 0.95, "012": 0.9, "73111": 1.0, "7362": 0.5, "70321": 0.5, "7411": 1.05},
}
# Lines that depend on the commune's size class.
SOLIDARITY = {  # DSU for the town, DSR for the others (eur per inhabitant)
    "town": ("74123", "Dotation de solidarité urbaine", 22.0),
    "resort": ("74121", "Dotation de solidarité rurale", 12.0),
    "coast": ("74121", "Dotation de solidarité rurale", 18.0),
    "rural": ("74121", "Dotation de solidarité rurale", 30.0),
}
DMTO_SMALL = ("73224", "Fonds départemental des DMTO pour les communes de moins de 5 000 habitants")
DMTO = ("7381", "Taxe additionnelle aux droits de mutation ou à la taxe de publicité foncière")
DEPRECIATION = [  # 040 recettes d'ordre: the 6811 depreciation split by asset account
    ("28031", "Frais d'études", 0.12),
    ("28051", "Concessions et droits similaires", 0.06),
    ("281568", "Autres matériels et outillages d'incendie et de défense civile", 0.04),
    ("28182", "Matériel de transport", 0.18),
    ("281838", "Autre matériel informatique", 0.10),
    ("28188", "Autres immobilisations corporelles", 0.30),
    ("2804182", "Bâtiments et installations", 0.20),
]


def euros(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def budget_rows(slug: str, grants_in_cash: float | None) -> list[list[str]]:
    insee, siren, name, inhabitants, profile, _where = COMMUNES[slug]
    nom = name.upper()  # BGT_NOM as TOTEM writes it ("CRACH" in the real CA 2021)
    rng = random.Random(f"budget-{insee}-{YEAR}")
    factors = PROFILES[profile]
    rows: list[list[str]] = []

    def add(chapter, account, label, section, sense, real, *, opbudg="réel", forecast=None, rar=None, rar_prev=None):
        if forecast is None and real is not None:
            # Credits voted: spending comes in under them, revenue close to them.
            ratio = rng.uniform(0.86, 0.99) if sense == DEP else rng.uniform(0.95, 1.04)
            forecast = round(real / ratio, -2) if real >= 500 else round(real, 0)
        opened = (forecast or 0.0) + (rar_prev or 0.0)
        rows.append(
            [
                "compte administratif",
                str(YEAR),
                siret_of(siren),
                nom,
                chapter,
                CHAPTERS[chapter],
                account,
                label,
                "",
                "",
                "",
                section,
                opbudg,
                sense,
                euros(real),
                "",
                euros(rar_prev),
                euros(forecast),
                euros(forecast),
                euros(opened),
                euros(rar),
                "non spécialisé",
            ]
        )

    def amount(account: str, chapter: str, per_inhabitant: float) -> float:
        factor = factors.get(account, factors.get(chapter, 1.0))
        return round(per_inhabitant * inhabitants * factor * rng.uniform(0.85, 1.15), 2)

    for chapter, account, label, section, sense, per_inhabitant in REAL_LINES:
        if account == "6574":
            value = grants_in_cash if grants_in_cash is not None else amount(account, chapter, 20.0)
            add(chapter, account, label, section, sense, round(value, 2))
            continue
        if chapter == "16" and sense == REC and factors.get("1641") == 0.0:
            continue  # no new loan this year
        value = amount(account, chapter, per_inhabitant)
        if account == "002":  # last year's result, carried over: voted, not an execution
            add(chapter, account, label, section, sense, None, forecast=value)
            continue
        if section == INV and sense == DEP and chapter in ("20", "21", "23") and rng.random() < 0.45:
            # Works ordered but not finished at 31/12: restes à réaliser, and some carried in.
            rar = round(value * rng.uniform(0.2, 0.6), 2)
            rar_prev = round(value * rng.uniform(0.1, 0.3), 2) if rng.random() < 0.5 else None
            add(chapter, account, label, section, sense, value, rar=rar, rar_prev=rar_prev)
        else:
            add(chapter, account, label, section, sense, value)
        if account == "74127":
            code, title, per = SOLIDARITY[profile]
            add("74", code, title, FON, REC, amount(code, "74", per))
        if account == "7362":
            code, title = DMTO_SMALL if inhabitants < 5_000 and profile != "resort" else DMTO
            add("731", code, title, FON, REC, amount(code, "731", 55.0))

    # Opérations d'ordre: depreciation (042 dépense = 040 recettes), works done by the
    # commune's own staff (042 recette 722 = 040 dépense 2313), the 023/021 transfer
    # (voted, never executed: no realised amount).
    depreciation = amount("6811", "042", 32.0)
    add(
        "042",
        "6811",
        "Dotations aux amortissements des immobilisations incorporelles et corporelles",
        FON,
        DEP,
        depreciation,
        opbudg="ordre",
        forecast=round(depreciation, 2),
    )
    parts = [round(depreciation * share, 2) for _a, _l, share in DEPRECIATION]
    parts[-1] = round(depreciation - sum(parts[:-1]), 2)
    for (account, label, _share), part in zip(DEPRECIATION, parts, strict=True):
        add("040", account, label, INV, REC, part, opbudg="ordre", forecast=part)
    own_works = amount("722", "042", 5.0)
    add("042", "722", "Immobilisations corporelles", FON, REC, own_works, opbudg="ordre", forecast=round(own_works, -2))
    add("040", "2313", "Constructions", INV, DEP, own_works, opbudg="ordre", forecast=round(own_works, -2))
    transfer = round(inhabitants * rng.uniform(90, 140), -2)
    add("023", "023", "Virement à la section d'investissement", FON, DEP, None, opbudg="ordre", forecast=transfer)
    add("021", "021", "Virement de la section de fonctionnement", INV, REC, None, opbudg="ordre", forecast=transfer)

    key = [(r[2], r[1], r[0], r[4], r[6], r[11], r[12], r[13]) for r in rows]
    assert len(set(key)) == len(key), f"{slug}: duplicate budget line"
    return rows


def write_budget(slug: str, grants_in_cash: float | None) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # like totem2csv / yatotem2scdl
    writer.writerow(BUDGET_HEADER)
    writer.writerows(budget_rows(slug, grants_in_cash))
    path = DEMO / COMMUNES[slug][5] / f"budget_ca{YEAR}.csv"
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


# ---------------------------------------------------------------------------------------
# Subventions 2024
# ---------------------------------------------------------------------------------------

SUBVENTIONS_HEADER = (
    "nomAttribuant idAttribuant dateConvention referenceDecision nomBeneficiaire idBeneficiaire rnaBeneficiaire objet "
    "montant nature conditionsVersement datesPeriodeVersement idRAE notificationUE pourcentageSubvention dispositifAide"
).split()
# Invented associations: name pattern ({de} is "de <commune>" / "d'<commune>"), object,
# amount range (EUR), where (all / coast), paid in one go or in instalments.
# fmt: off
ASSOCIATIONS = [
    ("Union sportive {de} - section football", "Fonctionnement de l'école de football et de la saison sportive 2024-2025", 6000, 22000, "all", "échelonné"),
    ("Club de basket {de}", "Fonctionnement du club et déplacements des équipes de jeunes", 2500, 9000, "all", "unique"),
    ("Tennis club {de}", "Fonctionnement du club et stages d'été pour les jeunes", 1500, 6000, "all", "unique"),
    ("Club de judo {de}", "Fonctionnement du club et participation aux compétitions régionales", 1200, 4500, "all", "unique"),
    ("Club de gymnastique {de}", "Fonctionnement et achat de petit matériel de gymnastique", 1000, 4000, "all", "unique"),
    ("Cyclo-club {de}", "Organisation de la randonnée cyclotouriste annuelle", 400, 1500, "all", "unique"),
    ("Club de randonnée pédestre {de}", "Balisage et entretien des sentiers de randonnée de la commune", 300, 1200, "all", "unique"),
    ("Association de palets {de}", "Organisation du concours de palets du mois d'août", 200, 800, "all", "unique"),
    ("Cercle celtique {de}", "Cours de danse bretonne et participation aux festivals de l'été", 1500, 6000, "all", "unique"),
    ("Association du bagad {de}", "Fonctionnement de l'école de musique traditionnelle du bagad", 2500, 9000, "all", "échelonné"),
    ("Comité des fêtes {de}", "Organisation des animations estivales et du marché de Noël", 4000, 15000, "all", "échelonné"),
    ("Amicale laïque {de}", "Activités périscolaires et sorties éducatives des écoles publiques", 2000, 8000, "all", "unique"),
    ("Association des parents d'élèves des écoles publiques {de}", "Aide aux classes de découverte 2024", 800, 3000, "all", "unique"),
    ("Club des retraités {de}", "Animations et sorties des aînés de la commune", 400, 1500, "all", "unique"),
    ("Association de l'épicerie solidaire {de}", "Aide alimentaire aux familles de la commune", 3000, 12000, "all", "échelonné"),
    ("Association des donneurs de sang bénévoles {de}", "Organisation des collectes de sang sur la commune", 150, 500, "all", "unique"),
    ("Comité de jumelage {de}", "Accueil de la délégation de la ville jumelle en 2024", 1000, 4000, "all", "unique"),
    ("Chorale associative {de}", "Concerts de l'année et rémunération du chef de chœur", 500, 2000, "all", "unique"),
    ("Troupe de théâtre amateur {de}", "Création du spectacle de l'année et location de matériel scénique", 500, 2500, "all", "unique"),
    ("Association du patrimoine {de}", "Restauration du petit patrimoine (fontaines, lavoirs, calvaires)", 800, 3500, "all", "unique"),
    ("Club d'échecs {de}", "Initiation aux échecs dans les écoles", 200, 900, "all", "unique"),
    ("Union des commerçants {de}", "Animations commerciales de fin d'année", 1500, 6000, "all", "unique"),
    ("Association d'aide à domicile {de}", "Portage de repas et aide aux personnes âgées isolées", 3000, 10000, "all", "échelonné"),
    ("Ciné-club associatif {de}", "Programmation des séances de cinéma en plein air", 500, 2000, "all", "unique"),
    ("Club de handball {de}", "Fonctionnement du club et formation des arbitres", 1500, 6000, "all", "unique"),
    ("Association de badminton {de}", "Fonctionnement du club et achat de volants", 300, 1500, "all", "unique"),
    ("École de musique associative {de}", "Enseignement musical et concerts des élèves", 4000, 16000, "all", "échelonné"),
    ("Association des jardins partagés {de}", "Aménagement des parcelles collectives et ateliers de jardinage", 300, 1200, "all", "unique"),
    ("Club de voile {de}", "Fonctionnement de l'école de voile et renouvellement de la flotte d'optimists", 5000, 20000, "coast", "échelonné"),
    ("Club de kayak de mer {de}", "Encadrement des sorties en mer et achat de gilets", 1500, 6000, "coast", "unique"),
    ("Association des plaisanciers {de}", "Nettoyage des plages et des cales", 300, 1200, "coast", "unique"),
    ("Association de sauvetage en mer {de}", "Entretien de la vedette de sauvetage et formation des bénévoles", 3000, 12000, "coast", "échelonné"),
]
# fmt: on
IN_KIND = ("Mise à disposition gratuite d'une salle municipale et de matériel (valorisation annuelle)", 600, 3500)
COUNCIL_DATES = {  # conseil municipal meetings that voted the grants (invented)
    "auray": ["2024-03-28", "2024-06-27", "2024-09-26"],
    "carnac": ["2024-03-21", "2024-07-04", "2024-10-10"],
    "pluvigner": ["2024-03-26", "2024-06-25", "2024-11-19"],
    "quiberon": ["2024-04-04", "2024-07-11", "2024-10-17"],
}
SUBVENTION_COUNTS = {"auray": 26, "carnac": 18, "pluvigner": 20, "quiberon": 17}
# How each commune's software writes the file (the hub reads them all).
SUBVENTION_STYLES = {"auray": "iso", "carnac": "iso_crlf", "pluvigner": "bom_semicolon", "quiberon": "spreadsheet"}


def of_commune(name: str) -> str:
    return f"d'{name}" if name[0] in "AEIOUÉ" else f"de {name}"


def invented_siret(rng: random.Random) -> str:
    siren = with_luhn_key(str(rng.choice([4, 5, 7, 8, 9])) + "".join(str(rng.randrange(10)) for _ in range(7)))
    return with_luhn_key(siren + "0001")


def add_days(iso: str, days: int) -> str:
    return (date.fromisoformat(iso) + timedelta(days=days)).isoformat()


def subvention_rows(slug: str) -> list[dict]:
    insee, siren, commune, inhabitants, profile, _where = COMMUNES[slug]
    official = f"Commune {of_commune(commune)}"
    rng = random.Random(f"subventions-{insee}-{YEAR}")
    pool = [a for a in ASSOCIATIONS if a[4] == "all" or profile in ("resort", "coast")]
    chosen = rng.sample(pool, SUBVENTION_COUNTS[slug])
    scale = max(1.0, inhabitants / 4_000) ** 0.75  # a town funds its clubs more than a village
    rows = []
    for n, (pattern, objet, low, high, _where, payment) in enumerate(chosen, start=1):
        council = rng.choice(COUNCIL_DATES[slug])
        in_kind = rng.random() < 0.12
        factor = scale
        if in_kind:  # a hall lent for free: valued at its rental price, whatever the town
            objet, low, high = IN_KIND
            payment, factor = "unique", 1.0
        montant = round(rng.uniform(low, high) * factor, -1 if high * factor < 2000 else -2)
        has_siret = not in_kind or rng.random() < 0.5
        paid = add_days(council, rng.randrange(10, 40))
        rows.append(
            {
                "nomAttribuant": official,
                "idAttribuant": siret_of(siren),
                "dateConvention": council,
                "referenceDecision": f"DCM-{YEAR}-{COUNCIL_DATES[slug].index(council) + 1:02d}-{n:03d}",
                "nomBeneficiaire": pattern.format(de=of_commune(commune)),
                "idBeneficiaire": invented_siret(rng) if has_siret else "",
                "rnaBeneficiaire": f"W56{rng.randrange(10**7):07d}",
                "objet": objet,
                "montant": float(montant),
                "nature": "aide en nature" if in_kind else "aide en numéraire",
                "conditionsVersement": payment,
                "datesPeriodeVersement": paid if payment == "unique" else f"{paid}/{add_days(paid, 180)}",
                "idRAE": "",
                "notificationUE": "non",
                "pourcentageSubvention": 1.0,
                "dispositifAide": "",
            }
        )
    if slug == "quiberon":  # the deliberate faults (see the module docstring)
        typo = next(r for r in rows if r["idBeneficiaire"])
        digit = typo["idBeneficiaire"][3]
        typo["idBeneficiaire"] = typo["idBeneficiaire"][:3] + str((int(digit) + 1) % 10) + typo["idBeneficiaire"][4:]
        assert not luhn_ok(typo["idBeneficiaire"])
        rows[-1]["datesPeriodeVersement"] = ""
    return rows


def write_subventions(slug: str, rows: list[dict]) -> Path:
    style = SUBVENTION_STYLES[slug]
    out = io.StringIO()
    if style == "spreadsheet":  # Windows-1252, `;`, dd/mm/yyyy, decimal commas
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(SUBVENTIONS_HEADER)
        for row in rows:
            y, m, d = row["dateConvention"].split("-")
            writer.writerow(
                [
                    f"{d}/{m}/{y}"
                    if key == "dateConvention"
                    else f"{row[key]:.2f}".replace(".", ",")
                    if key in ("montant", "pourcentageSubvention")
                    else row[key]
                    for key in SUBVENTIONS_HEADER
                ]
            )
        data = out.getvalue().encode("cp1252")
    else:
        delimiter = ";" if style == "bom_semicolon" else ","
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if style == "iso_crlf" else "\n")
        writer.writerow(SUBVENTIONS_HEADER)
        for row in rows:
            writer.writerow(
                [
                    f"{row[key]:.2f}" if key in ("montant", "pourcentageSubvention") else row[key]
                    for key in SUBVENTIONS_HEADER
                ]
            )
        data = ("\ufeff" if style == "bom_semicolon" else "").encode() + out.getvalue().encode("utf-8")
    path = DEMO / COMMUNES[slug][5] / f"subventions_{YEAR}.csv"
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------------
# Canteens: one commune's rows of the real ma-cantine file
# ---------------------------------------------------------------------------------------

CANTEEN_TARGETS = {"carnac": "portals/carnac", "pluvigner": "files/pluvigner"}


def canteen_extract(insee: str) -> bytes:
    data = CANTEENS_SOURCE.read_bytes()
    lines = data.splitlines(keepends=True)
    records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    # One physical line per record (no newline inside a quoted cell), so record i is line i.
    assert len(records) == len(lines), "a record spans several lines: extract by record instead"
    column = records[0].index("canteen_city_insee_code")
    kept = [line for line, record in zip(lines[1:], records[1:], strict=True) if record[column] == insee]
    assert kept, f"no canteen row for {insee}"
    return lines[0] + b"".join(kept)


def write_canteens(slug: str) -> Path:
    path = DEMO / CANTEEN_TARGETS[slug] / "cantines_teledeclarations_2021.csv"
    path.write_bytes(canteen_extract(COMMUNES[slug][0]))
    return path


if __name__ == "__main__":
    for slug in COMMUNES:
        grants = None
        if slug in SUBVENTION_COUNTS:
            rows = subvention_rows(slug)
            write_subventions(slug, rows)
            grants = sum(r["montant"] for r in rows if r["nature"] == "aide en numéraire")
        write_budget(slug, grants)
    for slug in CANTEEN_TARGETS:
        write_canteens(slug)
