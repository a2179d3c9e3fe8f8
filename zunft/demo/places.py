"""The demo's region, member workshops and name pools. All firms and people are made up.

Town centroids are the GeoNames postal-code centroids (CC BY 4.0), so a site located by its
postal code lands exactly where ``customers.geocoding`` would put it.
"""

HWK_OL = "Handwerkskammer Oldenburg"
HWK_OS = "Handwerkskammer Osnabrück-Emsland-Grafschaft Bentheim"

# town: (postal code, lat, lon, chamber)
TOWNS = {
    "Cloppenburg": ("49661", 52.8475, 8.045, HWK_OL),
    "Bösel": ("26219", 53.0, 7.95, HWK_OL),
    "Friesoythe": ("26169", 53.0226, 7.8576, HWK_OL),
    "Meppen": ("49716", 52.6906, 7.291, HWK_OS),
    "Oldenburg": ("26121", 53.1599, 8.205, HWK_OL),
    "Garrel": ("49681", 52.95, 8.0167, HWK_OL),
    "Molbergen": ("49696", 52.8512, 7.9716, HWK_OL),
    "Emstek": ("49685", 52.8333, 8.15, HWK_OL),
    "Cappeln (Oldenburg)": ("49692", 52.8167, 8.1167, HWK_OL),
    "Lastrup": ("49688", 52.7947, 7.8671, HWK_OL),
    "Löningen": ("49624", 52.7368, 7.7581, HWK_OL),
    "Saterland": ("26683", 53.1033, 7.6825, HWK_OL),
    "Edewecht": ("26188", 53.1228, 8.1138, HWK_OL),
    "Bad Zwischenahn": ("26160", 53.1717, 8.0414, HWK_OL),
    "Haselünne": ("49740", 52.6741, 7.4846, HWK_OS),
    "Haren": ("49733", 52.7886, 7.1841, HWK_OS),
    "Essen (Oldenburg)": ("49632", 52.7, 7.9167, HWK_OL),
    "Sögel": ("49751", 52.85, 7.5167, HWK_OS),
    "Lindern (Oldenburg)": ("49699", 52.85, 7.7833, HWK_OL),
    "Wardenburg": ("26203", 53.0667, 8.2, HWK_OL),
    # The district of Vechta, the other half of the Oldenburger Münsterland: no member sits
    # there yet, but homeowners there ask, and the workshops around Cloppenburg reach them.
    "Vechta": ("49377", 52.7263, 8.286, HWK_OL),
    "Lohne (Oldenburg)": ("49393", 52.6589, 8.225, HWK_OL),
    "Damme": ("49401", 52.5216, 8.1979, HWK_OL),
    "Dinklage": ("49413", 52.6622, 8.1244, HWK_OL),
    "Goldenstedt": ("49424", 52.7883, 8.432, HWK_OL),
    "Visbek": ("49429", 52.8333, 8.3167, HWK_OL),
    "Neuenkirchen-Vörden": ("49434", 52.5167, 8.0667, HWK_OL),
    "Steinfeld (Oldenburg)": ("49439", 52.5864, 8.2157, HWK_OL),
    "Holdorf": ("49451", 52.5833, 8.1167, HWK_OL),
    "Bakum": ("49456", 52.7412, 8.1955, HWK_OL),
}

# Oldenburg has several postal codes; sites there are spread over them.
OLDENBURG_CODES = [
    ("26121", 53.1599, 8.205),
    ("26122", 53.1407, 8.2171),
    ("26123", 53.1567, 8.2333),
    ("26125", 53.1698, 8.225),
    ("26127", 53.1684, 8.2106),
    ("26129", 53.1547, 8.1706),
    ("26131", 53.131, 8.1828),
    ("26133", 53.1156, 8.2159),
    ("26135", 53.1267, 8.2384),
]

# Where customers live: the five main towns more often than the villages.
CUSTOMER_TOWNS = [
    *["Cloppenburg"] * 5,
    *["Oldenburg"] * 5,
    *["Friesoythe"] * 3,
    *["Meppen"] * 3,
    *["Bösel"] * 3,
    "Garrel",
    "Molbergen",
    "Emstek",
    "Cappeln (Oldenburg)",
    "Lastrup",
    "Löningen",
    "Saterland",
    "Edewecht",
    "Bad Zwischenahn",
    "Haselünne",
    "Haren",
    "Essen (Oldenburg)",
    "Lindern (Oldenburg)",
    "Wardenburg",
]

# Service areas drawn by hand (lon, lat): roughly the district of Cloppenburg, and the northern
# Emsland around Meppen.
AREA_CLOPPENBURG = [
    (7.60, 53.17),
    (7.95, 53.12),
    (8.25, 52.95),
    (8.26, 52.76),
    (8.05, 52.66),
    (7.72, 52.65),
    (7.58, 52.80),
    (7.60, 53.17),
]
AREA_EMSLAND_NORTH = [
    (7.05, 52.98),
    (7.62, 52.96),
    (7.68, 52.62),
    (7.20, 52.52),
    (7.02, 52.70),
    (7.05, 52.98),
]

# Bank code → bank: real regional banks (their codes are public); account numbers are made up.
BANKS_OL = ["28050100", "28020050", "28061822"]  # LzO, OLB, Oldenburger Volksbank
BANKS_CLP = ["28050100", "28065061", "28069052"]  # LzO, Volksbank Löningen, Raiffeisenbank
BANKS_EL = ["26650001", "26661380"]  # Sparkasse Emsland, Volksbank Haselünne

# short name, legal name, owner first and last name, town, trades, options (admin login,
# company holiday, §19 small business, service area, service radius where the trade is rare)
WORKSHOPS = [
    ("Elektro Janßen", "Elektro Janßen GmbH", "Hinrich", "Janßen", "Cloppenburg",
     ["elektro"], {"admin": True}),
    ("Haustechnik Böckmann", "Haustechnik Böckmann GmbH & Co. KG", "Frank", "Böckmann",
     "Cloppenburg", ["shk", "elektro"], {"admin": True}),
    ("Malerbetrieb Thole", "Malerbetrieb Thole e.K.", "Gerd", "Thole", "Cloppenburg",
     ["maler", "trockenbau"], {"admin": True, "closure": True}),
    ("Fliesen Wienken", "Fliesen Wienken GmbH", "Heiko", "Wienken", "Cloppenburg",
     ["fliesen", "estrich"], {}),
    ("Tischlerei Rolfes", "Tischlerei Rolfes, Inh. Bernd Rolfes", "Bernd", "Rolfes", "Bösel",
     ["tischler", "fenstermontage"], {}),
    ("Bedachungen Tapken", "Bedachungen Tapken GmbH", "Ralf", "Tapken", "Bösel",
     ["dachdecker", "zimmerer"], {"admin": True}),
    ("Kuhlmann Sanitär & Heizung", "Kuhlmann Sanitär & Heizung GmbH", "Jens", "Kuhlmann",
     "Friesoythe", ["shk"], {"admin": True}),
    ("Bau Stratmann", "Bauunternehmen Stratmann GmbH", "Dirk", "Stratmann", "Friesoythe",
     ["maurer", "estrich"], {"area": AREA_CLOPPENBURG}),
    ("Elektrotechnik Hanneken", "Elektrotechnik Hanneken e.K.", "Stefan", "Hanneken",
     "Friesoythe", ["elektro"], {}),
    ("Malerwerkstatt Vaske", "Malerwerkstatt Vaske GmbH", "Anja", "Vaske", "Meppen",
     ["maler", "fliesen"], {}),
    ("Emsland Haustechnik Lammers", "Emsland Haustechnik Lammers GmbH", "Thomas", "Lammers",
     "Meppen", ["shk", "elektro"], {"admin": True}),
    ("Dachtechnik Schwarte", "Dachtechnik Schwarte GmbH & Co. KG", "Markus", "Schwarte",
     "Meppen", ["dachdecker"], {"area": AREA_EMSLAND_NORTH}),
    ("Elektro Frerichs", "Elektro Frerichs GmbH", "Ole", "Frerichs", "Oldenburg",
     ["elektro"], {"admin": True}),
    ("Glaserei Osterloh", "Glaserei Osterloh e.K.", "Jan", "Osterloh", "Oldenburg",
     ["glaser", "fenstermontage"], {"radius": 50}),
    ("Tischlerei Ahlers", "Tischlerei Ahlers GmbH", "Kai", "Ahlers", "Oldenburg",
     ["tischler", "rollladen", "trockenbau"], {"radius": 50}),
    ("Heizung Gerdes", "Heizung Gerdes GmbH", "Sven", "Gerdes", "Oldenburg", ["shk"], {}),
    ("Zimmerei Tebben", "Zimmerei Tebben GmbH", "Hermann", "Tebben", "Garrel",
     ["zimmerer", "dachdecker"], {"admin": True}),
    ("Fliesen-Studio Eilers", "Fliesen-Studio Eilers, Inh. Nicole Eilers", "Nicole", "Eilers",
     "Garrel", ["fliesen"], {}),
    ("Maurer Middendorf", "Middendorf Maurer- und Betonbau GmbH", "Ludger", "Middendorf",
     "Molbergen", ["maurer"], {}),
    ("Elektro Pohlmann", "Elektro Pohlmann e.K.", "Andreas", "Pohlmann", "Emstek",
     ["elektro"], {}),
    ("Ausbau Kläne", "Ausbau Kläne GmbH", "Marco", "Kläne", "Emstek",
     ["trockenbau", "maler"], {}),
    ("Rollladen Wernke", "Rollladen- und Sonnenschutz Wernke GmbH", "Uwe", "Wernke",
     "Cappeln (Oldenburg)", ["rollladen", "fenstermontage"], {}),
    ("Estrich Hinrichs", "Estrich Hinrichs GmbH", "Torsten", "Hinrichs", "Lastrup",
     ["estrich"], {}),
    ("Sanitär Lüken", "Sanitär Lüken e.K.", "Christian", "Lüken", "Löningen", ["shk"], {}),
    ("Glas & Fenster Bruns", "Glas & Fenster Bruns GmbH", "Matthias", "Bruns", "Löningen",
     ["glaser", "tischler"], {"radius": 60}),
    ("Saterländer Bau Schute", "Saterländer Bau Schute GmbH", "Rainer", "Schute", "Saterland",
     ["maurer", "fliesen"], {}),
    ("Malerin Niemöller", "Sabine Niemöller Malerarbeiten", "Sabine", "Niemöller", "Saterland",
     ["maler"], {"small": True}),
    ("Dachdeckerei Bührmann", "Dachdeckerei Bührmann GmbH", "Olaf", "Bührmann", "Edewecht",
     ["dachdecker", "zimmerer"], {}),
    ("Ammerland Haustechnik Ostendorf", "Ammerland Haustechnik Ostendorf GmbH", "Lars",
     "Ostendorf", "Bad Zwischenahn", ["shk", "elektro"], {}),
    ("Fliesen Hobbie", "Fliesen Hobbie GmbH", "Tim", "Hobbie", "Bad Zwischenahn",
     ["fliesen", "trockenbau"], {}),
    ("Tischlerei Schwerter", "Tischlerei Schwerter GmbH", "Heinz", "Schwerter", "Haselünne",
     ["tischler", "rollladen", "fenstermontage"], {}),
    ("Bau Kemper", "Bau Kemper GmbH & Co. KG", "Georg", "Kemper", "Haselünne",
     ["maurer", "estrich"], {}),
    ("Malerei Lögering", "Malerei Lögering GmbH", "Petra", "Lögering", "Haren",
     ["maler", "trockenbau"], {}),
    ("Glaserei Evers", "Glaserei Wilfried Evers", "Wilfried", "Evers", "Essen (Oldenburg)",
     ["glaser"], {"small": True}),
    ("Zimmerei Gerken", "Zimmerei Gerken GmbH", "Klaus", "Gerken", "Sögel",
     ["zimmerer", "dachdecker"], {}),
]  # fmt: skip

FIRST_NAMES = [
    "Lukas", "Jonas", "Finn", "Niklas", "Tobias", "Jan", "Timo", "Florian", "Dennis",
    "Sebastian", "Kevin", "Marcel", "Patrick", "Daniel", "Michael", "Stefan", "Thomas",
    "Markus", "Hendrik", "Maik", "Mirko", "Nils", "Lennart", "Mats", "Malte", "Björn", "Jannik",
    "Henning", "Carsten", "Jörg", "Mehmet", "Dawid", "Artur", "Viktor", "Pavel", "Julia",
    "Lea", "Sarah", "Laura", "Svenja", "Marie", "Johanna", "Anke", "Birgit",
]  # fmt: skip
LAST_NAMES = [
    "Bahlmann", "Block", "Brinkmann", "Diekmann", "Dirks", "Fangmann", "Focke", "Grote",
    "Hackmann", "Harms", "Heyen", "Höffmann", "Koopmann", "Kuper", "Lübbers", "Meyer", "Möller",
    "Nienaber", "Oltmann", "Peters", "Pleye", "Rieken", "Runge", "Sander", "Schlömer",
    "Schulte", "Siemer", "Stolle", "Tepe", "Thoben", "Vahle", "Voß", "Wessels", "Wichmann",
    "Willenborg", "Wulf", "Kowalski", "Nowak", "Yılmaz", "Becker", "Wagner", "Krüger",
    "Albers", "Gröne", "Kathmann", "Menke", "Rosenbaum", "Steinkamp",
]  # fmt: skip
STREETS = [
    "Hauptstraße", "Lange Straße", "Mühlenstraße", "Kirchstraße", "Schulstraße",
    "Bahnhofstraße", "Gartenstraße", "Birkenweg", "Eichenweg", "Lindenstraße", "Am Esch",
    "Osterstraße", "Ringstraße", "Wiesenweg", "Moorweg", "Heideweg", "Fliederweg",
    "Rosenstraße", "Tannenweg", "Kampstraße", "Friesenstraße", "Buchenweg", "Dorfstraße",
    "Am Sportplatz", "Drosselweg", "Lerchenstraße", "Ahornweg", "Kolpingstraße",
]  # fmt: skip
BUSINESS_STREETS = [
    "Industriestraße", "Gewerbering", "Am Gewerbepark", "Robert-Bosch-Straße",
    "Carl-Benz-Straße", "Siemensstraße", "Handwerkerstraße", "Otto-Hahn-Straße",
]  # fmt: skip
