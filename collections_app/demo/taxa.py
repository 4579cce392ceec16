"""Real taxa for demo specimens: group -> family -> genus -> species epithets.

A curated, checked list of well-known European (and a few tropical) species, so that demo
searches and filters behave as they would on real catalogue data.
"""

from __future__ import annotations

Taxa = dict[str, dict[str, tuple[str, ...]]]

INSECTS: Taxa = {
    "Carabidae": {
        "Carabus": (
            "auratus",
            "nemoralis",
            "violaceus",
            "granulatus",
            "problematicus",
            "coriaceus",
        ),
        "Pterostichus": ("madidus", "melanarius", "niger"),
        "Calosoma": ("sycophanta", "inquisitor"),
        "Cicindela": ("campestris", "hybrida", "sylvatica"),
    },
    "Coccinellidae": {
        "Coccinella": ("septempunctata", "magnifica"),
        "Adalia": ("bipunctata", "decempunctata"),
        "Harmonia": ("axyridis",),
    },
    "Lucanidae": {
        "Lucanus": ("cervus",),
        "Dorcus": ("parallelipipedus",),
        "Sinodendron": ("cylindricum",),
    },
    "Scarabaeidae": {
        "Cetonia": ("aurata",),
        "Melolontha": ("melolontha", "hippocastani"),
        "Scarabaeus": ("sacer", "laticollis"),
        "Oryctes": ("nasicornis",),
    },
    "Cerambycidae": {
        "Cerambyx": ("cerdo", "scopolii"),
        "Rosalia": ("alpina",),
        "Rhagium": ("mordax", "inquisitor"),
    },
    "Nymphalidae": {
        "Vanessa": ("atalanta", "cardui"),
        "Aglais": ("io", "urticae"),
        "Danaus": ("plexippus",),
        "Morpho": ("menelaus", "peleides"),
        "Nymphalis": ("antiopa", "polychloros"),
    },
    "Papilionidae": {
        "Papilio": ("machaon",),
        "Iphiclides": ("podalirius",),
        "Parnassius": ("apollo", "mnemosyne"),
        "Ornithoptera": ("priamus",),
    },
    "Apidae": {
        "Apis": ("mellifera",),
        "Bombus": ("terrestris", "lapidarius", "pascuorum", "hortorum"),
        "Xylocopa": ("violacea",),
    },
    "Formicidae": {
        "Formica": ("rufa", "fusca"),
        "Lasius": ("niger", "flavus"),
        "Camponotus": ("ligniperda",),
    },
    "Syrphidae": {
        "Syrphus": ("ribesii",),
        "Episyrphus": ("balteatus",),
        "Eristalis": ("tenax",),
    },
    "Libellulidae": {
        "Libellula": ("depressa", "quadrimaculata"),
        "Sympetrum": ("striolatum", "sanguineum"),
    },
    "Culicidae": {
        "Anopheles": ("gambiae", "maculipennis"),
        "Aedes": ("aegypti", "albopictus"),
        "Culex": ("pipiens",),
    },
}

PLANTS: Taxa = {
    "Fagaceae": {
        "Quercus": ("robur", "petraea", "ilex", "suber", "cerris"),
        "Fagus": ("sylvatica",),
        "Castanea": ("sativa",),
    },
    "Rosaceae": {
        "Rosa": ("canina", "arvensis"),
        "Prunus": ("spinosa", "avium", "padus"),
        "Crataegus": ("monogyna", "laevigata"),
        "Sorbus": ("aucuparia", "torminalis"),
    },
    "Asteraceae": {
        "Taraxacum": ("officinale",),
        "Bellis": ("perennis",),
        "Centaurea": ("nigra", "scabiosa", "jacea"),
        "Achillea": ("millefolium",),
        "Arnica": ("montana",),
    },
    "Orchidaceae": {
        "Orchis": ("mascula", "militaris", "purpurea"),
        "Ophrys": ("apifera", "insectifera", "sphegodes"),
        "Dactylorhiza": ("maculata", "fuchsii"),
        "Cypripedium": ("calceolus",),
    },
    "Poaceae": {
        "Festuca": ("rubra", "ovina"),
        "Poa": ("annua", "pratensis"),
        "Stipa": ("pennata",),
        "Phleum": ("pratense",),
    },
    "Brassicaceae": {
        "Arabidopsis": ("thaliana",),
        "Cardamine": ("pratensis", "hirsuta"),
        "Brassica": ("oleracea", "napus"),
    },
    "Lamiaceae": {
        "Salvia": ("pratensis", "officinalis"),
        "Thymus": ("serpyllum", "vulgaris"),
        "Lamium": ("album", "purpureum"),
        "Mentha": ("aquatica", "arvensis"),
    },
    "Fabaceae": {
        "Trifolium": ("pratense", "repens"),
        "Lathyrus": ("pratensis",),
        "Vicia": ("cracca", "sativa"),
        "Lotus": ("corniculatus",),
    },
    "Ranunculaceae": {
        "Ranunculus": ("acris", "repens", "bulbosus"),
        "Anemone": ("nemorosa",),
        "Aconitum": ("napellus",),
        "Helleborus": ("foetidus", "niger"),
    },
    "Pinaceae": {
        "Pinus": ("sylvestris", "nigra"),
        "Abies": ("alba",),
        "Picea": ("abies",),
        "Larix": ("decidua",),
    },
    "Gentianaceae": {
        "Gentiana": ("acaulis", "lutea", "verna"),
    },
    "Ericaceae": {
        "Erica": ("cinerea", "tetralix"),
        "Calluna": ("vulgaris",),
        "Vaccinium": ("myrtillus", "vitis-idaea"),
        "Rhododendron": ("ferrugineum",),
    },
    "Sphagnaceae": {
        "Sphagnum": ("palustre", "magellanicum"),
    },
}

BIRDS: Taxa = {
    "Paridae": {
        "Parus": ("major",),
        "Cyanistes": ("caeruleus",),
        "Periparus": ("ater",),
        "Poecile": ("palustris",),
    },
    "Turdidae": {
        "Turdus": ("merula", "philomelos", "pilaris", "viscivorus"),
    },
    "Corvidae": {
        "Corvus": ("corax", "corone", "frugilegus"),
        "Pica": ("pica",),
        "Garrulus": ("glandarius",),
    },
    "Accipitridae": {
        "Aquila": ("chrysaetos",),
        "Buteo": ("buteo",),
        "Accipiter": ("nisus",),
        "Haliaeetus": ("albicilla",),
        "Milvus": ("milvus",),
    },
    "Strigidae": {
        "Bubo": ("bubo",),
        "Strix": ("aluco",),
        "Athene": ("noctua",),
        "Asio": ("otus",),
    },
    "Anatidae": {
        "Anas": ("platyrhynchos", "crecca"),
        "Anser": ("anser",),
        "Cygnus": ("olor",),
        "Aythya": ("fuligula",),
    },
    "Alcidae": {
        "Alca": ("torda",),
        "Fratercula": ("arctica",),
        "Uria": ("aalge",),
        "Pinguinus": ("impennis",),
    },
    "Trochilidae": {
        "Selasphorus": ("rufus",),
        "Archilochus": ("colubris",),
        "Calypte": ("anna",),
    },
    "Fringillidae": {
        "Fringilla": ("coelebs",),
        "Carduelis": ("carduelis",),
        "Pyrrhula": ("pyrrhula",),
        "Loxia": ("curvirostra",),
    },
    "Columbidae": {
        "Columba": ("palumbus", "livia"),
        "Streptopelia": ("decaocto", "turtur"),
        "Ectopistes": ("migratorius",),
    },
}

MAMMALS: Taxa = {
    "Felidae": {
        "Felis": ("silvestris",),
        "Lynx": ("lynx", "pardinus"),
        "Panthera": ("leo", "pardus", "tigris"),
    },
    "Canidae": {
        "Canis": ("lupus", "aureus"),
        "Vulpes": ("vulpes", "lagopus"),
    },
    "Mustelidae": {
        "Mustela": ("erminea", "nivalis", "putorius"),
        "Martes": ("martes", "foina"),
        "Meles": ("meles",),
        "Lutra": ("lutra",),
    },
    "Cervidae": {
        "Cervus": ("elaphus",),
        "Capreolus": ("capreolus",),
        "Alces": ("alces",),
        "Dama": ("dama",),
    },
    "Muridae": {
        "Apodemus": ("sylvaticus", "flavicollis"),
        "Mus": ("musculus",),
        "Rattus": ("rattus", "norvegicus"),
    },
    "Soricidae": {
        "Sorex": ("araneus", "minutus"),
        "Crocidura": ("russula", "leucodon"),
        "Neomys": ("fodiens",),
    },
    "Vespertilionidae": {
        "Myotis": ("myotis", "daubentonii", "nattereri"),
        "Pipistrellus": ("pipistrellus", "pygmaeus", "nathusii"),
        "Plecotus": ("auritus",),
        "Nyctalus": ("noctula",),
    },
    "Bovidae": {
        "Rupicapra": ("rupicapra",),
        "Capra": ("ibex",),
        "Bison": ("bonasus",),
    },
    "Sciuridae": {
        "Sciurus": ("vulgaris",),
        "Marmota": ("marmota",),
        "Spermophilus": ("citellus",),
    },
}

FISHES: Taxa = {
    "Salmonidae": {
        "Salmo": ("salar", "trutta"),
        "Oncorhynchus": ("mykiss",),
        "Thymallus": ("thymallus",),
        "Salvelinus": ("alpinus",),
    },
    "Cyprinidae": {
        "Cyprinus": ("carpio",),
        "Carassius": ("carassius", "gibelio"),
        "Barbus": ("barbus",),
    },
    "Leuciscidae": {
        "Rutilus": ("rutilus",),
        "Squalius": ("cephalus",),
        "Leuciscus": ("leuciscus",),
        "Phoxinus": ("phoxinus",),
        "Abramis": ("brama",),
    },
    "Gadidae": {
        "Gadus": ("morhua",),
        "Melanogrammus": ("aeglefinus",),
        "Merlangius": ("merlangus",),
        "Pollachius": ("pollachius", "virens"),
    },
    "Percidae": {
        "Perca": ("fluviatilis",),
        "Sander": ("lucioperca",),
        "Gymnocephalus": ("cernua",),
        "Zingel": ("zingel",),
    },
    "Esocidae": {
        "Esox": ("lucius",),
    },
    "Pleuronectidae": {
        "Pleuronectes": ("platessa",),
        "Platichthys": ("flesus",),
        "Hippoglossus": ("hippoglossus",),
    },
    "Scombridae": {
        "Scomber": ("scombrus",),
        "Thunnus": ("thynnus", "alalunga"),
    },
    "Gobiidae": {
        "Gobius": ("niger", "paganellus"),
        "Pomatoschistus": ("minutus",),
        "Neogobius": ("melanostomus",),
    },
    "Cichlidae": {
        "Oreochromis": ("niloticus", "tanganicae"),
        "Tropheus": ("moorii", "duboisi"),
    },
}

MOLLUSCS: Taxa = {
    "Helicidae": {
        "Helix": ("pomatia", "lucorum"),
        "Cepaea": ("nemoralis", "hortensis"),
        "Cornu": ("aspersum",),
        "Arianta": ("arbustorum",),
    },
    "Cypraeidae": {
        "Cypraea": ("tigris",),
        "Monetaria": ("moneta", "annulus"),
        "Naria": ("erosa",),
    },
    "Conidae": {
        "Conus": ("geographus", "textile", "marmoreus", "striatus"),
    },
    "Muricidae": {
        "Murex": ("pecten", "tribulus"),
        "Bolinus": ("brandaris",),
        "Hexaplex": ("trunculus",),
        "Nucella": ("lapillus",),
    },
    "Unionidae": {
        "Unio": ("pictorum", "crassus", "tumidus"),
        "Anodonta": ("anatina", "cygnea"),
    },
    "Margaritiferidae": {
        "Margaritifera": ("margaritifera",),
    },
    "Mytilidae": {
        "Mytilus": ("edulis", "galloprovincialis"),
        "Modiolus": ("modiolus",),
    },
    "Pectinidae": {
        "Pecten": ("maximus", "jacobaeus"),
        "Aequipecten": ("opercularis",),
    },
    "Cardiidae": {
        "Cerastoderma": ("edule", "glaucum"),
        "Acanthocardia": ("echinata", "tuberculata"),
    },
    "Clausiliidae": {
        "Clausilia": ("bidentata", "dubia"),
        "Cochlodina": ("laminata",),
    },
}

FOSSILS: Taxa = {
    "Dactylioceratidae": {
        "Dactylioceras": ("commune", "tenuicostatum"),
    },
    "Hildoceratidae": {
        "Hildoceras": ("bifrons",),
        "Harpoceras": ("falciferum",),
    },
    "Arietitidae": {
        "Arietites": ("bucklandi",),
        "Asteroceras": ("obtusum",),
    },
    "Belemnitellidae": {
        "Belemnitella": ("mucronata",),
        "Belemnella": ("lanceolata",),
    },
    "Calymenidae": {
        "Calymene": ("blumenbachii",),
        "Flexicalymene": ("caractaci",),
    },
    "Phacopidae": {
        "Phacops": ("latifrons",),
        "Eldredgeops": ("rana",),
    },
    "Paradoxididae": {
        "Paradoxides": ("paradoxissimus", "gracilis"),
    },
    "Ichthyosauridae": {
        "Ichthyosaurus": ("communis", "breviceps"),
    },
    "Plesiosauridae": {
        "Plesiosaurus": ("dolichodeirus",),
    },
    "Archaeopterygidae": {
        "Archaeopteryx": ("lithographica",),
    },
    "Iguanodontidae": {
        "Iguanodon": ("bernissartensis",),
    },
    "Elephantidae": {
        "Mammuthus": ("primigenius",),
        "Palaeoloxodon": ("antiquus",),
    },
    "Ursidae": {
        "Ursus": ("spelaeus",),
    },
    "Gryphaeidae": {
        "Gryphaea": ("arcuata",),
    },
    "Otodontidae": {
        "Otodus": ("megalodon", "obliquus"),
    },
    "Lepidodendraceae": {
        "Lepidodendron": ("aculeatum",),
    },
}

TAXA: dict[str, Taxa] = {
    "insects": INSECTS,
    "plants": PLANTS,
    "birds": BIRDS,
    "mammals": MAMMALS,
    "fishes": FISHES,
    "molluscs": MOLLUSCS,
    "fossils": FOSSILS,
}

FAMILIES: frozenset[str] = frozenset(family for taxa in TAXA.values() for family in taxa)
