"""Where demo specimens were collected: real places, as (ISO 3166-1 country code, locality).

Each taxon comes from a region that fits it: a hummingbird from North America, a cowrie from the
Indo-Pacific, Archaeopteryx from Solnhofen. ``RANGES`` names the region of a binomial, a genus or
a family (most specific first); otherwise the group's default region applies.
"""

from __future__ import annotations

Place = tuple[str, str]

REGIONS: dict[str, tuple[Place, ...]] = {
    "europe": (
        ("GB", "Wicken Fen, Cambridgeshire"),
        ("GB", "New Forest, Hampshire"),
        ("GB", "Cairngorms, Badenoch and Strathspey"),
        ("FR", "Forêt de Fontainebleau, Seine-et-Marne"),
        ("FR", "Camargue, Bouches-du-Rhône"),
        ("DE", "Bayerischer Wald, Niederbayern"),
        ("DE", "Schwäbische Alb, Baden-Württemberg"),
        ("BE", "Forêt de Soignes, Brabant"),
        ("NL", "Veluwe, Gelderland"),
        ("CZ", "Šumava, Jihočeský kraj"),
        ("ES", "Sierra de Guadarrama, Madrid"),
        ("PT", "Serra da Estrela, Guarda"),
        ("HU", "Bükk Mountains, Borsod-Abaúj-Zemplén"),
        ("PL", "Białowieża Forest, Podlaskie"),
        ("FI", "Oulanka, Kuusamo"),
        ("SE", "Öland, Kalmar län"),
        ("DK", "Mols Bjerge, Jutland"),
        ("GR", "Mount Olympus, Pieria"),
    ),
    "alps": (
        ("IT", "Gran Paradiso, Valle d'Aosta"),
        ("AT", "Hohe Tauern, Salzburg"),
        ("FR", "Col du Lautaret, Hautes-Alpes"),
        ("CH", "Piz Languard, Graubünden"),
    ),
    "pannonia": (
        ("HU", "Hortobágy, Hajdú-Bihar"),
        ("AT", "Neusiedler See, Burgenland"),
        ("CZ", "Pálava, Jihomoravský kraj"),
        ("SK", "Devínska Kobyla, Bratislava"),
    ),
    "iberia": (
        ("ES", "Doñana, Huelva"),
        ("ES", "Sierra de Andújar, Jaén"),
        ("PT", "Serra de São Mamede, Portalegre"),
    ),
    "bialowieza": (
        ("PL", "Białowieża Forest, Podlaskie"),
        ("BY", "Belovezhskaya Pushcha, Brest"),
    ),
    "arctic": (
        ("SJ", "Adventdalen, Svalbard"),
        ("IS", "Hornstrandir, Westfjords"),
        ("GL", "Zackenberg, Northeast Greenland"),
        ("SE", "Abisko, Lappland"),
    ),
    "north-atlantic": (
        ("IS", "Eldey, Reykjanes"),
        ("CA", "Funk Island, Newfoundland"),
        ("GB", "Bass Rock, East Lothian"),
        ("GB", "Skomer Island, Pembrokeshire"),
        ("FO", "Mykines"),
        ("NO", "Røst, Lofoten"),
    ),
    "europe-fresh": (
        ("GB", "River Thames at Oxford"),
        ("DE", "Rhein bei Bonn"),
        ("AT", "Donau, Wachau"),
        ("HU", "Balaton, Tihany"),
        ("CH", "Lac Léman, Lausanne"),
        ("FI", "Kallavesi, Kuopio"),
        ("CZ", "Vltava at Český Krumlov"),
    ),
    "europe-sea": (
        ("GB", "North Sea, Dogger Bank"),
        ("NO", "Lofoten, Nordland"),
        ("FR", "Rade de Brest, Finistère"),
        ("FR", "Banyuls-sur-Mer, Pyrénées-Orientales"),
        ("ES", "Bahía de Cádiz"),
        ("IT", "Golfo di Napoli"),
        ("HR", "Rovinj, Istria"),
        ("SE", "Kristineberg, Gullmarsfjorden"),
        ("DK", "Øresund, Helsingør"),
    ),
    "africa": (
        ("CD", "Yangambi, Tshopo"),
        ("CD", "Garamba National Park, Haut-Uele"),
        ("KE", "Kakamega Forest, Western Province"),
        ("TZ", "Serengeti, Mara"),
        ("CM", "Mount Cameroon, South-West Region"),
    ),
    "tanganyika": (
        ("CD", "Lake Tanganyika, Kalemie"),
        ("TZ", "Lake Tanganyika, Kigoma"),
        ("BI", "Lake Tanganyika, Bujumbura"),
        ("ZM", "Lake Tanganyika, Mpulungu"),
    ),
    "asia": (
        ("IN", "Kanha National Park, Madhya Pradesh"),
        ("NP", "Chitwan National Park"),
        ("MY", "Danum Valley, Sabah"),
        ("ID", "Kerinci Seblat, Sumatra"),
    ),
    "neotropics": (
        ("BR", "Reserva Ducke, Manaus, Amazonas"),
        ("PE", "Tambopata, Madre de Dios"),
        ("EC", "Yasuní, Orellana"),
        ("CR", "La Selva, Heredia"),
    ),
    "north-america": (
        ("US", "Great Smoky Mountains, Tennessee"),
        ("US", "Point Reyes, California"),
        ("CA", "Algonquin Park, Ontario"),
        ("MX", "El Cielo, Tamaulipas"),
    ),
    "australasia": (
        ("PG", "Wau, Morobe Province"),
        ("AU", "Kuranda, Queensland"),
        ("SB", "Honiara, Guadalcanal"),
    ),
    "indo-pacific": (
        ("IL", "Gulf of Aqaba, Eilat"),
        ("EG", "Red Sea, Hurghada"),
        ("PH", "Mactan, Cebu"),
        ("NC", "Nouméa lagoon"),
        ("MU", "Blue Bay, Mauritius"),
    ),
    # Fossil beds.
    "blue-lias": (("GB", "Lyme Regis, Dorset (Blue Lias)"), ("GB", "Charmouth, Dorset")),
    "toarcian": (
        ("GB", "Whitby, North Yorkshire (Whitby Mudstone)"),
        ("DE", "Holzmaden, Baden-Württemberg (Posidonia Shale)"),
    ),
    "chalk": (("GB", "Dover, Kent (Chalk)"), ("BE", "Ciply, Hainaut")),
    "wenlock": (("GB", "Wren's Nest, Dudley (Much Wenlock Limestone)"),),
    "shropshire-ordovician": (("GB", "Onny valley, Shropshire"),),
    "eifel": (("DE", "Gerolstein, Eifel"),),
    "silica-shale": (("US", "Sylvania, Ohio (Silica Shale)"),),
    "barrandian": (("CZ", "Jince, Central Bohemia"),),
    "solnhofen": (("DE", "Solnhofen, Bavaria"), ("DE", "Eichstätt, Bavaria")),
    "bernissart": (("BE", "Bernissart, Hainaut"),),
    "pleistocene": (
        ("RU", "Berelekh, Yakutia"),
        ("GB", "Ebbsfleet, Kent"),
        ("DE", "Neumark-Nord, Saxony-Anhalt"),
    ),
    "bear-caves": (("AT", "Drachenhöhle, Mixnitz"), ("RO", "Peștera Urșilor, Bihor")),
    "shark-teeth": (("US", "Calvert Cliffs, Maryland"), ("MA", "Khouribga phosphate basin")),
    "coal-measures": (("GB", "Coseley, Staffordshire"), ("CZ", "Radnice, Plzeň Region")),
}

DEFAULT_REGION: dict[str, str] = {
    "insects": "europe",
    "plants": "europe",
    "birds": "europe",
    "mammals": "europe",
    "fishes": "europe-fresh",
    "molluscs": "europe",
}

RANGES: dict[str, str] = {
    # insects
    "Morpho": "neotropics",
    "Ornithoptera": "australasia",
    "Danaus": "north-america",
    "Anopheles gambiae": "africa",
    "Aedes aegypti": "africa",
    "Aedes albopictus": "asia",
    "Parnassius apollo": "alps",
    # plants
    "Gentianaceae": "alps",
    "Rhododendron": "alps",
    "Stipa": "pannonia",
    "Quercus suber": "iberia",
    # birds
    "Trochilidae": "north-america",
    "Ectopistes": "north-america",
    "Alcidae": "north-atlantic",
    # mammals
    "Panthera leo": "africa",
    "Panthera pardus": "africa",
    "Panthera tigris": "asia",
    "Lynx pardinus": "iberia",
    "Vulpes lagopus": "arctic",
    "Rupicapra": "alps",
    "Capra": "alps",
    "Marmota": "alps",
    "Bison": "bialowieza",
    "Spermophilus": "pannonia",
    # fishes
    "Gadidae": "europe-sea",
    "Pleuronectidae": "europe-sea",
    "Scombridae": "europe-sea",
    "Gobius": "europe-sea",
    "Pomatoschistus": "europe-sea",
    "Cichlidae": "tanganyika",
    # molluscs
    "Unionidae": "europe-fresh",
    "Margaritiferidae": "europe-fresh",
    "Mytilidae": "europe-sea",
    "Pectinidae": "europe-sea",
    "Cardiidae": "europe-sea",
    "Muricidae": "europe-sea",
    "Murex": "indo-pacific",
    "Cypraeidae": "indo-pacific",
    "Conidae": "indo-pacific",
    # fossils
    "Dactylioceratidae": "toarcian",
    "Hildoceratidae": "toarcian",
    "Arietitidae": "blue-lias",
    "Gryphaeidae": "blue-lias",
    "Ichthyosauridae": "blue-lias",
    "Plesiosauridae": "blue-lias",
    "Belemnitellidae": "chalk",
    "Calymene": "wenlock",
    "Flexicalymene": "shropshire-ordovician",
    "Phacops": "eifel",
    "Eldredgeops": "silica-shale",
    "Paradoxididae": "barrandian",
    "Archaeopterygidae": "solnhofen",
    "Iguanodontidae": "bernissart",
    "Elephantidae": "pleistocene",
    "Ursidae": "bear-caves",
    "Otodontidae": "shark-teeth",
    "Lepidodendraceae": "coal-measures",
}


def places_for(group: str, family: str, genus: str, epithet: str) -> tuple[Place, ...]:
    for name in (f"{genus} {epithet}", genus, family):
        if name in RANGES:
            return REGIONS[RANGES[name]]
    return REGIONS[DEFAULT_REGION[group]]
