"""The demo's fixed catalogue: certifications, trades and the package templates.

Pure data (no Django imports) so it can be read, reviewed and tested on its own. Durations are
working hours of the whole crew's task, ``base + Σ per_unit × parameter``; material in euros
net; dependency lags in calendar hours (drying runs over the weekend too).

``TEMPLATES`` are the multi-trade "Rund-um-sorglos" packages; ``SINGLE_TRADE_TEMPLATES`` are
small jobs of one trade (one task, one parameter) that go through the same quote, plan and
invoice.
"""

# code, German name, English name
CERTIFICATIONS = [
    (
        "gas-trgi",
        "Eintragung Installateurverzeichnis Gas (TRGI)",
        "Gas installer registration (TRGI)",
    ),
    (
        "strom-netz",
        "Eintragung Installateurverzeichnis Strom (Netzbetreiber)",
        "Grid installer registration (distribution system operator)",
    ),
    (
        "wasser-avb",
        "Eintragung Installateurverzeichnis Wasser (AVBWasserV)",
        "Water installer registration (AVBWasserV)",
    ),
    (
        "f-gase",
        "Sachkunde Kältemittel (F-Gase, Kategorie I)",
        "Refrigerant handling (F-gas category I)",
    ),
    (
        "asbest-trgs519",
        "Sachkunde Asbest (TRGS 519, Anlage 3)",
        "Asbestos competence (TRGS 519, annex 3)",
    ),
    (
        "absturz-psaga",
        "Arbeiten mit Absturzsicherung (PSA gegen Absturz)",
        "Fall protection (PPE against falls from height)",
    ),
    (
        "rwm-din14676",
        "Fachkraft für Rauchwarnmelder (DIN 14676)",
        "Smoke alarm technician (DIN 14676)",
    ),
]

# code, German name, English name, licensed (Anlage A HwO), certifications tasks may require.
# Fliesenleger, Estrichleger and Rollladen- und Sonnenschutztechniker were deregulated in 2004
# but are in Anlage A again since the HwO amendment of 14 February 2020.
TRADES = [
    ("elektro", "Elektrotechnik", "Electrical installation", True, ["strom-netz", "rwm-din14676"]),
    (
        "shk",
        "Installateur und Heizungsbauer",
        "Plumbing and heating",
        True,
        ["gas-trgi", "wasser-avb", "f-gase"],
    ),
    ("maler", "Maler und Lackierer", "Painting and decorating", True, []),
    (
        "fliesen",
        "Fliesen-, Platten- und Mosaikleger",
        "Tiling",
        True,
        ["asbest-trgs519"],
    ),
    ("tischler", "Tischler", "Joinery", True, []),
    ("maurer", "Maurer und Betonbauer", "Masonry and concrete", True, ["asbest-trgs519"]),
    (
        "dachdecker",
        "Dachdecker",
        "Roofing",
        True,
        ["absturz-psaga", "asbest-trgs519"],
    ),
    ("zimmerer", "Zimmerer", "Carpentry (timber construction)", True, ["absturz-psaga"]),
    ("estrich", "Estrichleger", "Screed laying", True, []),
    ("trockenbau", "Trockenbau", "Drywall construction", False, []),
    ("glaser", "Glaser", "Glazing", True, []),
    ("rollladen", "Rollladen- und Sonnenschutztechniker", "Shutters and sun protection", True, []),
    (
        "fenstermontage",
        "Einbau genormter Baufertigteile (Fenster, Türen)",
        "Fitting standard building elements (windows, doors)",
        False,
        [],
    ),
]


# Units are codes of ``zunft.core.units.Unit`` (UN/ECE Rec. 20), shown in the reader's language.
PIECE, SQUARE_METRE, METRE, KILOWATT = "H87", "MTK", "MTR", "KWT"


def _p(code, de, en, unit, minimum, maximum, default, kind="decimal"):
    return {
        "code": code,
        "name_de": de,
        "name_en": en,
        "unit": unit,
        "minimum": minimum,
        "maximum": maximum,
        "default": default,
        "kind": kind,
    }


def _t(
    code, de, en, trade, crew, hours, per_unit=None, material=0, material_per_unit=None, cert=None
):
    return {
        "code": code,
        "name_de": de,
        "name_en": en,
        "trade": trade,
        "crew_size": crew,
        "duration_base_hours": hours,
        "duration_per_unit": per_unit or {},
        "material_base": material,
        "material_per_unit": material_per_unit or {},
        "required_certification": cert,
    }


# fmt: off
FLOOR = _p("floor_area", "Bodenfläche", "Floor area", SQUARE_METRE, 2, 30, 7)
WALL = _p("wall_area", "Wandfläche (Fliesen)", "Wall area (tiled)", SQUARE_METRE, 4, 80, 24)

TEMPLATES = [
    {
        "code": "bad-komplett",
        "name_de": "Bad komplett",
        "name_en": "Complete bathroom",
        "description_de": (
            "Altes Bad raus, neues Bad rein: Rückbau, neue Leitungen, Vorwände, Estrich, "
            "Abdichtung, Fliesen, Sanitärobjekte, Elektrik und Anstrich – ein Ansprechpartner, "
            "ein Terminplan, eine Rechnung."
        ),
        "description_en": (
            "Old bathroom out, new bathroom in: demolition, new pipes and cables, stud walls, "
            "screed, waterproofing, tiles, sanitary ware, electrics and paint – one contact, "
            "one schedule, one invoice."
        ),
        "parameters": [FLOOR, WALL],
        "tasks": [
            _t("rueckbau", "Rückbau Altbad", "Strip out old bathroom", "maurer", 2, 6,
               {"floor_area": 0.8, "wall_area": 0.3}, 380),
            _t("sanitaer-roh", "Sanitär-Rohinstallation", "Plumbing rough-in", "shk", 1, 10,
               {"floor_area": 0.6}, 650, {"floor_area": 25}, "wasser-avb"),
            _t("elektro-roh", "Elektro-Rohinstallation", "Electrical rough-in", "elektro", 1, 5,
               {"floor_area": 0.3}, 180, {"floor_area": 12}),
            _t("vorwand", "Vorwand und Trockenbau", "Stud walls and drywall", "trockenbau", 1, 6,
               {"wall_area": 0.3}, 220, {"wall_area": 14}),
            _t("estrich", "Estrich einbringen", "Lay screed", "estrich", 1, 3,
               {"floor_area": 0.5}, 60, {"floor_area": 22}),
            _t("abdichtung", "Verbundabdichtung", "Waterproofing", "fliesen", 1, 3,
               {"floor_area": 0.2, "wall_area": 0.15}, 90,
               {"floor_area": 14, "wall_area": 12}),
            _t("fliesen", "Fliesen verlegen", "Lay tiles", "fliesen", 1, 6,
               {"floor_area": 1.3, "wall_area": 1.1}, 120,
               {"floor_area": 48, "wall_area": 42}),
            _t("sanitaer-end", "Sanitär-Endmontage", "Fit sanitary ware", "shk", 1, 10,
               {}, 3400),
            _t("elektro-end", "Elektro-Endmontage", "Electrical final fit", "elektro", 1, 4,
               {}, 260),
            _t("maler", "Decke und Wände streichen", "Paint ceiling and walls", "maler", 1, 3,
               {"floor_area": 0.4}, 40, {"floor_area": 6}),
        ],
        "dependencies": [
            ("rueckbau", "sanitaer-roh", 0),
            ("rueckbau", "elektro-roh", 0),
            ("sanitaer-roh", "vorwand", 0),
            ("elektro-roh", "vorwand", 0),
            ("vorwand", "estrich", 0),
            ("estrich", "abdichtung", 72),
            ("abdichtung", "fliesen", 24),
            ("fliesen", "sanitaer-end", 12),
            ("fliesen", "elektro-end", 12),
            ("sanitaer-end", "maler", 0),
            ("elektro-end", "maler", 0),
        ],
    },
    {
        "code": "kueche",
        "name_de": "Küche neu",
        "name_en": "New kitchen",
        "description_de": (
            "Alte Küche abbauen, Leitungen und Steckdosen anpassen, streichen, neue Küche "
            "montieren und anschließen, Fliesenspiegel."
        ),
        "description_en": (
            "Remove the old kitchen, adapt pipes and sockets, paint, fit and connect the new "
            "kitchen, tiled splashback."
        ),
        "parameters": [
            _p("run_length", "Küchenzeile", "Kitchen run", METRE, 1.5, 12, 4),
            _p("sockets", "Neue Steckdosen", "New sockets", PIECE, 0, 20, 6, "integer"),
            _p("splashback", "Fliesenspiegel", "Tiled splashback", SQUARE_METRE, 0, 12, 3),
        ],
        "tasks": [
            _t("abbau", "Altküche abbauen", "Remove old kitchen", "tischler", 2, 2,
               {"run_length": 0.8}, 150),
            _t("elektro-roh", "Herdanschluss und Steckdosen verlegen",
               "Cooker circuit and sockets", "elektro", 1, 3, {"sockets": 0.6}, 90,
               {"sockets": 28}),
            _t("sanitaer-roh", "Wasser und Abwasser anpassen", "Adapt water and drain", "shk", 1,
               4, {}, 160, {}, "wasser-avb"),
            _t("maler", "Küche streichen", "Paint kitchen", "maler", 1, 5, {"run_length": 0.3},
               60),
            _t("montage", "Küche montieren", "Fit kitchen", "tischler", 2, 4,
               {"run_length": 2.5}, 0),
            _t("fliesenspiegel", "Fliesenspiegel", "Tiled splashback", "fliesen", 1, 2,
               {"splashback": 1.5}, 30, {"splashback": 55}),
            _t("elektro-end", "Geräte anschließen", "Connect appliances", "elektro", 1, 3, {},
               40),
            _t("sanitaer-end", "Spüle und Geschirrspüler anschließen",
               "Connect sink and dishwasher", "shk", 1, 3, {}, 120),
        ],
        "dependencies": [
            ("abbau", "elektro-roh", 0),
            ("abbau", "sanitaer-roh", 0),
            ("elektro-roh", "maler", 0),
            ("sanitaer-roh", "maler", 0),
            ("maler", "montage", 12),
            ("montage", "fliesenspiegel", 0),
            ("montage", "elektro-end", 0),
            ("montage", "sanitaer-end", 0),
        ],
    },
    {
        "code": "dach-neu",
        "name_de": "Dach neu eindecken",
        "name_en": "New roof covering",
        "description_de": (
            "Gerüst, Altdeckung (auch Asbestzement) fachgerecht entfernen, Dachstuhl prüfen, "
            "Aufsparrendämmung, Lattung, neue Dachziegel, Dachfenster, Rinnen."
        ),
        "description_en": (
            "Scaffold, remove the old covering (including asbestos cement) properly, check the "
            "rafters, insulation above rafters, battens, new tiles, roof windows, gutters."
        ),
        "parameters": [
            _p("roof_area", "Dachfläche", "Roof area", SQUARE_METRE, 40, 400, 140),
            _p("roof_windows", "Dachfenster", "Roof windows", PIECE, 0, 10, 2, "integer"),
        ],
        "tasks": [
            _t("geruest", "Gerüst und Absturzsicherung stellen", "Put up scaffold",
               "dachdecker", 2, 6, {"roof_area": 0.04}, 400, {"roof_area": 6}, "absturz-psaga"),
            _t("abdecken", "Altdeckung abnehmen und entsorgen", "Strip old covering",
               "dachdecker", 2, 4, {"roof_area": 0.15}, 300, {"roof_area": 14},
               "asbest-trgs519"),
            _t("dachstuhl", "Dachstuhl prüfen und ausbessern", "Check and repair rafters",
               "zimmerer", 2, 6, {"roof_area": 0.05}, 200, {"roof_area": 4}, "absturz-psaga"),
            _t("daemmung", "Dämmung, Unterdeckbahn und Lattung",
               "Insulation, underlay and battens", "dachdecker", 2, 4, {"roof_area": 0.35},
               200, {"roof_area": 62}, "absturz-psaga"),
            _t("eindecken", "Neu eindecken", "Lay new tiles", "dachdecker", 2, 4,
               {"roof_area": 0.3}, 150, {"roof_area": 38}, "absturz-psaga"),
            _t("dachfenster", "Dachfenster einbauen", "Fit roof windows", "dachdecker", 2, 0,
               {"roof_windows": 4}, 0, {"roof_windows": 950}, "absturz-psaga"),
            _t("rinnen", "Rinnen und Fallrohre", "Gutters and downpipes", "dachdecker", 1, 6,
               {"roof_area": 0.02}, 650, {}, "absturz-psaga"),
            _t("abbau-geruest", "Gerüst abbauen", "Take scaffold down", "dachdecker", 2, 4,
               {"roof_area": 0.02}, 0),
        ],
        "dependencies": [
            ("geruest", "abdecken", 0),
            ("abdecken", "dachstuhl", 0),
            ("dachstuhl", "daemmung", 0),
            ("daemmung", "eindecken", 0),
            ("daemmung", "dachfenster", 0),
            ("eindecken", "rinnen", 0),
            ("dachfenster", "rinnen", 0),
            ("rinnen", "abbau-geruest", 0),
        ],
    },
    {
        "code": "waermepumpe",
        "name_de": "Wärmepumpe statt Gaskessel",
        "name_en": "Heat pump instead of gas boiler",
        "description_de": (
            "Gasanlage stilllegen, Kessel ausbauen, Split-Wärmepumpe setzen und einbinden, "
            "Zählerschrank und Netzanschluss beim Netzbetreiber, Inbetriebnahme, hydraulischer "
            "Abgleich."
        ),
        "description_en": (
            "Decommission the gas installation, remove the boiler, set and connect a split heat "
            "pump, meter cabinet and grid connection with the network operator, commissioning, "
            "hydraulic balancing."
        ),
        "parameters": [
            _p("heat_load", "Heizlast", "Heat load", KILOWATT, 4, 20, 9),
            _p("radiators", "Heizkörper", "Radiators", PIECE, 0, 30, 10, "integer"),
        ],
        "tasks": [
            _t("fundament", "Fundament Außengerät", "Base for outdoor unit", "maurer", 1, 5, {},
               180),
            _t("zaehlerschrank", "Zählerschrank ertüchtigen, Netzanschluss anmelden",
               "Upgrade meter cabinet, register grid connection", "elektro", 1, 8, {}, 1400, {},
               "strom-netz"),
            _t("gas-stilllegen", "Gasanlage außer Betrieb nehmen", "Decommission gas supply",
               "shk", 1, 3, {}, 90, {}, "gas-trgi"),
            _t("kessel-ausbau", "Gaskessel ausbauen", "Remove gas boiler", "shk", 2, 5, {}, 150),
            _t("wp-montage", "Wärmepumpe setzen und hydraulisch einbinden",
               "Set heat pump and connect hydraulics", "shk", 2, 14, {"heat_load": 0.8}, 9500,
               {"heat_load": 850}),
            _t("kaeltekreis", "Kältemittelleitungen, Dichtheitsprüfung, Befüllung",
               "Refrigerant lines, leak test, charging", "shk", 1, 6, {"heat_load": 0.2}, 450,
               {}, "f-gase"),
            _t("elektro-anschluss", "Wärmepumpe elektrisch anschließen",
               "Connect heat pump electrically", "elektro", 1, 5, {}, 350),
            _t("inbetriebnahme", "Inbetriebnahme und Einweisung", "Commissioning and handover",
               "shk", 1, 4, {}, 0),
            _t("abgleich", "Hydraulischer Abgleich", "Hydraulic balancing", "shk", 1, 2,
               {"radiators": 0.5}, 0, {"radiators": 38}),
        ],
        "dependencies": [
            ("gas-stilllegen", "kessel-ausbau", 0),
            ("fundament", "wp-montage", 48),
            ("kessel-ausbau", "wp-montage", 0),
            ("wp-montage", "kaeltekreis", 0),
            ("wp-montage", "elektro-anschluss", 0),
            ("zaehlerschrank", "elektro-anschluss", 0),
            ("kaeltekreis", "inbetriebnahme", 0),
            ("elektro-anschluss", "inbetriebnahme", 0),
            ("inbetriebnahme", "abgleich", 0),
        ],
    },
    {
        "code": "elektro-altbau",
        "name_de": "Elektrosanierung Altbau",
        "name_en": "Rewiring an old house",
        "description_de": (
            "Bestandsaufnahme, neuer Zählerschrank mit Netzbetreiber-Anmeldung, neue Leitungen "
            "und Steckdosen, Schlitze verputzen, streichen, Rauchwarnmelder, Prüfprotokoll "
            "nach DIN VDE 0100-600."
        ),
        "description_en": (
            "Survey, new meter cabinet registered with the network operator, new cables and "
            "sockets, plaster the chases, paint, smoke alarms, test report to DIN VDE 0100-600."
        ),
        "parameters": [
            _p("living_area", "Wohnfläche", "Living area", SQUARE_METRE, 30, 300, 120),
            _p("sockets", "Steckdosen und Schalter", "Sockets and switches", PIECE, 10, 150,
               45, "integer"),
        ],
        "tasks": [
            _t("bestand", "Bestandsaufnahme", "Survey", "elektro", 1, 3,
               {"living_area": 0.01}, 0),
            _t("zaehlerschrank", "Neuer Zählerschrank", "New meter cabinet", "elektro", 2, 8, {},
               1900, {}, "strom-netz"),
            _t("leitungen", "Schlitze und neue Leitungen", "Chases and new cables", "elektro",
               2, 8, {"living_area": 0.2, "sockets": 0.35}, 250,
               {"living_area": 6, "sockets": 9}),
            _t("verputzen", "Schlitze verputzen", "Plaster the chases", "maurer", 1, 4,
               {"living_area": 0.08}, 60, {"living_area": 2}),
            _t("maler", "Wände streichen", "Paint walls", "maler", 2, 4,
               {"living_area": 0.25}, 80, {"living_area": 5}),
            _t("endmontage", "Schalter, Steckdosen, Leuchten",
               "Switches, sockets and lights", "elektro", 1, 2, {"sockets": 0.25}, 0,
               {"sockets": 14}),
            _t("rauchmelder", "Rauchwarnmelder setzen", "Fit smoke alarms", "elektro", 1, 2,
               {"living_area": 0.01}, 120, {}, "rwm-din14676"),
            _t("pruefung", "Prüfung und Protokoll", "Testing and report", "elektro", 1, 3,
               {"sockets": 0.05}, 0),
        ],
        "dependencies": [
            ("bestand", "zaehlerschrank", 0),
            ("bestand", "leitungen", 0),
            ("leitungen", "verputzen", 0),
            ("verputzen", "maler", 48),
            ("maler", "endmontage", 12),
            ("zaehlerschrank", "endmontage", 0),
            ("endmontage", "rauchmelder", 0),
            ("rauchmelder", "pruefung", 0),
        ],
    },
    {
        "code": "wohnung-streichen",
        "name_de": "Wohnung streichen",
        "name_en": "Paint a flat",
        "description_de": (
            "Heizkörper ab und wieder an, abdecken, spachteln, Decken und Wände streichen."
        ),
        "description_en": (
            "Radiators off and back on, cover up, fill, paint ceilings and walls."
        ),
        "parameters": [
            _p("wall_area", "Wandfläche", "Wall area", SQUARE_METRE, 20, 800, 220),
            _p("ceiling_area", "Deckenfläche", "Ceiling area", SQUARE_METRE, 0, 300, 75),
            _p("radiators", "Heizkörper abnehmen", "Radiators to take off", PIECE, 0, 20, 6,
               "integer"),
        ],
        "tasks": [
            _t("heizkoerper-ab", "Heizkörper abnehmen", "Take radiators off", "shk", 1, 0,
               {"radiators": 0.5}, 0),
            _t("vorbereiten", "Abdecken und spachteln", "Cover up and fill", "maler", 2, 4,
               {"wall_area": 0.04, "ceiling_area": 0.04}, 60,
               {"wall_area": 0.4, "ceiling_area": 0.4}),
            _t("decken", "Decken streichen", "Paint ceilings", "maler", 2, 1,
               {"ceiling_area": 0.12}, 0, {"ceiling_area": 2.2}),
            _t("waende", "Wände streichen", "Paint walls", "maler", 2, 1, {"wall_area": 0.09}, 0,
               {"wall_area": 1.9}),
            _t("heizkoerper-an", "Heizkörper montieren und entlüften",
               "Refit and bleed radiators", "shk", 1, 0, {"radiators": 0.6}, 0),
        ],
        "dependencies": [
            ("heizkoerper-ab", "vorbereiten", 0),
            ("vorbereiten", "decken", 12),
            ("decken", "waende", 0),
            ("waende", "heizkoerper-an", 12),
        ],
    },
    {
        "code": "fenster-tausch",
        "name_de": "Fenster erneuern",
        "name_en": "Replace windows",
        "description_de": (
            "Aufmaß, alte Fenster ausbauen, neue Kunststoff- oder Holzfenster mit "
            "Dreifachverglasung einbauen (RAL-Montage), Rollläden, Laibungen beiputzen und "
            "streichen."
        ),
        "description_en": (
            "Survey, remove old windows, fit new uPVC or timber triple-glazed windows (RAL "
            "fitting), shutters, make good and paint the reveals."
        ),
        "parameters": [
            _p("windows", "Fenster", "Windows", PIECE, 1, 40, 8, "integer"),
            _p("shutters", "Rollläden", "Shutters", PIECE, 0, 40, 6, "integer"),
        ],
        "tasks": [
            _t("aufmass", "Aufmaß", "Measure", "tischler", 1, 1, {"windows": 0.2}, 0),
            _t("einbau", "Alte Fenster raus, neue Fenster rein", "Swap the windows",
               "tischler", 2, 2, {"windows": 2.5}, 0, {"windows": 780}),
            _t("rollladen", "Rollläden montieren", "Fit shutters", "rollladen", 1, 0,
               {"shutters": 1.5}, 0, {"shutters": 420}),
            _t("beiputzen", "Laibungen beiputzen", "Make good the reveals", "maurer", 1, 2,
               {"windows": 0.8}, 20, {"windows": 12}),
            _t("maler", "Laibungen streichen", "Paint the reveals", "maler", 1, 2,
               {"windows": 0.4}, 15, {"windows": 4}),
        ],
        "dependencies": [
            ("aufmass", "einbau", 0),
            ("einbau", "rollladen", 0),
            ("einbau", "beiputzen", 0),
            ("beiputzen", "maler", 48),
        ],
    },
    {
        "code": "bad-barrierefrei",
        "name_de": "Barrierefreies Bad",
        "name_en": "Barrier-free bathroom",
        "description_de": (
            "Bodengleiche Dusche mit Gefälleestrich, breitere Tür, unterfahrbarer Waschtisch, "
            "Haltegriffe, rutschhemmende Fliesen, Glasduschwand – förderfähig (KfW 455-B)."
        ),
        "description_en": (
            "Level-access shower on a sloped screed, wider door, wheelchair-accessible basin, "
            "grab rails, slip-resistant tiles, glass shower screen – eligible for KfW 455-B."
        ),
        "parameters": [
            {**FLOOR, "default": 8},
            {**WALL, "default": 28},
            _p("doors", "Türen verbreitern", "Doors to widen", PIECE, 0, 3, 1, "integer"),
        ],
        "tasks": [
            _t("rueckbau", "Rückbau Altbad", "Strip out old bathroom", "maurer", 2, 6,
               {"floor_area": 0.8, "wall_area": 0.3}, 380),
            _t("tuer", "Türöffnung verbreitern", "Widen door opening", "maurer", 2, 0,
               {"doors": 6}, 0, {"doors": 120}),
            _t("sanitaer-roh", "Sanitär-Rohinstallation mit Bodenablauf",
               "Plumbing rough-in with floor drain", "shk", 1, 12, {"floor_area": 0.6}, 900,
               {"floor_area": 25}, "wasser-avb"),
            _t("elektro-roh", "Elektro-Rohinstallation mit Notruf",
               "Electrical rough-in with alarm call", "elektro", 1, 6, {"floor_area": 0.3}, 320),
            _t("estrich", "Gefälleestrich", "Sloped screed", "estrich", 1, 5,
               {"floor_area": 0.6}, 80, {"floor_area": 28}),
            _t("abdichtung", "Verbundabdichtung", "Waterproofing", "fliesen", 1, 3,
               {"floor_area": 0.2, "wall_area": 0.15}, 90,
               {"floor_area": 14, "wall_area": 12}),
            _t("fliesen", "Rutschhemmende Fliesen (R10/B)", "Slip-resistant tiles", "fliesen",
               1, 6, {"floor_area": 1.5, "wall_area": 1.1}, 120,
               {"floor_area": 58, "wall_area": 42}),
            _t("sanitaer-end", "Waschtisch, WC, Haltegriffe", "Basin, WC, grab rails", "shk", 1,
               12, {}, 4200),
            _t("duschwand", "Glasduschwand montieren", "Fit glass shower screen", "glaser", 2, 4,
               {}, 1300),
            _t("tuer-einbau", "Schiebetür einbauen", "Fit sliding door", "tischler", 1, 1,
               {"doors": 4}, 0, {"doors": 650}),
            _t("elektro-end", "Elektro-Endmontage", "Electrical final fit", "elektro", 1, 4, {},
               260),
            _t("maler", "Decke und Wände streichen", "Paint ceiling and walls", "maler", 1, 3,
               {"floor_area": 0.4}, 40, {"floor_area": 6}),
        ],
        "dependencies": [
            ("rueckbau", "tuer", 0),
            ("rueckbau", "sanitaer-roh", 0),
            ("rueckbau", "elektro-roh", 0),
            ("sanitaer-roh", "estrich", 0),
            ("elektro-roh", "estrich", 0),
            ("estrich", "abdichtung", 72),
            ("abdichtung", "fliesen", 24),
            ("fliesen", "sanitaer-end", 12),
            ("fliesen", "duschwand", 12),
            ("fliesen", "elektro-end", 12),
            ("tuer", "tuer-einbau", 24),
            ("sanitaer-end", "maler", 0),
            ("elektro-end", "maler", 0),
            ("tuer-einbau", "maler", 0),
        ],
    },
]


def _single(code, de, en, description_de, description_en, parameter, task):
    return {
        "code": code,
        "kind": "single",
        "name_de": de,
        "name_en": en,
        "description_de": description_de,
        "description_en": description_en,
        "parameters": [parameter],
        "tasks": [task],
        "dependencies": [],
    }


SINGLE_TRADE_TEMPLATES = [
    _single(
        "steckdosen", "Steckdosen nachrüsten", "Add sockets",
        "Zusätzliche Steckdosen setzen: Leitung verlegen, Dose setzen, anschließen, prüfen.",
        "Fit extra sockets: run the cable, set the box, connect and test.",
        _p("sockets", "Steckdosen", "Sockets", PIECE, 1, 20, 6, "integer"),
        _t("steckdosen", "Steckdosen setzen und anschließen", "Fit and connect sockets",
           "elektro", 1, 1.5, {"sockets": 0.6}, 25, {"sockets": 18}),
    ),
    _single(
        "rauchmelder", "Rauchwarnmelder einbauen", "Fit smoke alarms",
        "Rauchwarnmelder nach DIN 14676 setzen, prüfen und dokumentieren.",
        "Fit smoke alarms to DIN 14676, test and document them.",
        _p("alarms", "Rauchwarnmelder", "Smoke alarms", PIECE, 1, 20, 5, "integer"),
        _t("rauchmelder", "Rauchwarnmelder setzen", "Fit smoke alarms", "elektro", 1, 1,
           {"alarms": 0.3}, 0, {"alarms": 32}, "rwm-din14676"),
    ),
    _single(
        "armatur-tauschen", "Armaturen tauschen", "Replace taps",
        "Alte Wasserhähne abbauen, neue Einhebelmischer montieren, auf Dichtheit prüfen.",
        "Remove old taps, fit new mixer taps, check for leaks.",
        _p("taps", "Armaturen", "Taps", PIECE, 1, 6, 1, "integer"),
        _t("armatur", "Armaturen tauschen", "Replace taps", "shk", 1, 1, {"taps": 1.2}, 0,
           {"taps": 145}),
    ),
    _single(
        "wc-tauschen", "WC erneuern", "Replace a toilet",
        "Altes WC ausbauen und entsorgen, neues wandhängendes WC mit Spülkasten anschließen.",
        "Remove and dispose of the old toilet, fit a new wall-hung toilet with its cistern.",
        _p("toilets", "WCs", "Toilets", PIECE, 1, 3, 1, "integer"),
        _t("wc", "WC tauschen", "Replace toilet", "shk", 1, 1, {"toilets": 3.5}, 40,
           {"toilets": 420}),
    ),
    _single(
        "zimmer-streichen", "Ein Zimmer streichen", "Paint one room",
        "Möbel abdecken, Wände und Decke spachteln und streichen, sauber hinterlassen.",
        "Cover the furniture, fill and paint walls and ceiling, leave it clean.",
        _p("floor_area", "Grundfläche des Zimmers", "Floor area of the room", SQUARE_METRE,
           6, 60, 16),
        _t("streichen", "Wände und Decke streichen", "Paint walls and ceiling", "maler", 1, 2,
           {"floor_area": 0.45}, 30, {"floor_area": 6.5}),
    ),
    _single(
        "dach-reparatur", "Dach reparieren", "Roof repair",
        "Kaputte oder verrutschte Dachziegel ersetzen, Unterdeckbahn prüfen, mit "
        "Absturzsicherung.",
        "Replace broken or slipped roof tiles, check the underlay, with fall protection.",
        _p("tiles", "Dachziegel zu ersetzen", "Roof tiles to replace", PIECE, 1, 200, 20,
           "integer"),
        _t("reparatur", "Dachziegel ersetzen", "Replace roof tiles", "dachdecker", 2, 2,
           {"tiles": 0.1}, 60, {"tiles": 4.5}, "absturz-psaga"),
    ),
]
# fmt: on
