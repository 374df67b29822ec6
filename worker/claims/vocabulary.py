"""The words claim finding reads: metric cues, qualifiers, time windows, attribution, places.

Everything here is data; `phrase_pattern` turns a list of phrases into one compiled regex.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any


def phrase_pattern(phrases: Iterable[str], *, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """One regex matching any phrase as whole words; spaces match any whitespace.

    The alternatives are folded into a prefix tree ("k(?:ursk(?:\\s+oblast)?|yiv)") so that the
    regex engine tries one branch per letter instead of every phrase at every position: the
    vocabularies here have hundreds of phrases and run on every sentence.
    """
    fold = bool(flags & re.IGNORECASE)
    words = sorted({" ".join((p.casefold() if fold else p).split()) for p in phrases if p.strip()})
    if not words:
        return re.compile(r"(?!)")
    return re.compile(rf"(?<![\w-])(?:{_trie(words)})(?![\w-])", flags)


_WORD = re.compile(r"\w+")


def words_of(text: str) -> frozenset[str]:
    """The case-folded words of a text: a cheap gate before running a phrase regex on it."""
    return frozenset(_WORD.findall(text.casefold()))


def _trie(words: list[str]) -> str:
    """A regex for the sorted `words`, longest match first at every branch."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _branch(tree)


def _branch(node: dict[str, Any]) -> str:
    alternatives = []
    for char in sorted(node, key=lambda c: (c == "", c)):
        if char == "":
            continue
        atom = r"\s+" if char == " " else re.escape(char)
        alternatives.append(atom + _branch(node[char]))
    optional = "" in node
    if not alternatives:
        return ""
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    if optional:
        body = f"(?:{body})?"
    return body


# --- metric cues -------------------------------------------------------------------------------
# Predicate cues: words that say what happened to the people a number counts.
PREDICATES: dict[str, tuple[str, ...]] = {
    "casualties": ("casualties", "killed or wounded", "killed or injured", "killed and wounded",
                   "killed and injured", "dead or wounded", "dead or injured", "dead and injured",
                   "dead and wounded"),
    "killed": ("killed", "kill", "kills", "killing", "dead", "died", "die", "dies", "deaths",
               "death toll", "toll", "dead toll", "fatalities", "bodies", "perished", "drowned",
               "lives", "lost their lives", "bodies recovered", "confirmed dead", "deceased"),
    "injured": ("injured", "injuring", "injures", "injuries", "wounded", "wounding", "hurt",
                # before "taken" (a capture cue) matches on its own
                "taken to hospital", "taken to hospitals", "taken to the hospital"),
    "missing": ("missing", "unaccounted for", "unaccounted", "disappeared"),
    "displaced": ("displaced", "displacing", "evacuated", "evacuating", "evacuees", "homeless",
                  "in shelters", "in evacuation centres", "in evacuation centers", "shelters",
                  "fled", "fled their homes", "forced from their homes", "forced to flee",
                  "left without shelter", "refugees", "relocated", "lost their homes",
                  "evacuation of", "evacuations of", "displacement of", "uprooted",
                  # before "taken" (a capture cue) matches on its own: "have taken refuge"
                  "taken refuge", "took refuge", "taking refuge", "sought refuge",
                  "sought shelter", "taken shelter", "took shelter", "sheltering",
                  # "forced 32,000 from their homes": the verb and its phrase split by the count
                  "from their homes", "out of their homes", "evacuation centres",
                  "evacuation centers", "relief camps"),
    "rescued": ("rescued", "pulled alive", "pulled out alive", "saved", "pulled from the rubble",
                "pulled from rubble", "airlifted to safety", "brought to safety"),
}
# Agents that say what a number before... no: after them counts ("Rescuers pulled 1,600 people"):
# they are cues only to the left of a figure.
AGENTS: dict[str, tuple[str, ...]] = {
    "rescued": ("rescuers", "rescue teams", "rescue workers", "rescue crews", "lifeguards"),
}
# Sources that are no side of a conflict: a figure they give has no actor.
NEUTRAL_SOURCES = (
    "United Nations", "UN", "U.N.", "OCHA", "WHO", "World Health Organization", "UNICEF", "UNHCR",
    "IOM", "International Organization for Migration", "Red Cross", "Red Crescent", "ICRC",
    "Doctors Without Borders", "MSF", "Medecins Sans Frontieres", "Amnesty International",
    "Human Rights Watch", "Institute for the Study of War", "ISW", "think tank", "monitors",
    "monitoring group", "observatory", "World Food Programme", "WFP", "OSCE", "IAEA",
    "Reuters", "Associated Press", "AFP", "witnesses", "analysts", "researchers",
    "residents", "charity", "aid group", "aid groups", "aid agency", "rescue group",
    "rescue service", "rescuers", "state media",
)
# Cues that count soldiers lost, killed and wounded together: "Russia lost 1,200 troops".
LOSSES = ("lost", "losses", "loss of", "lose", "losing")
# Cues that only count people when the counted noun is a soldier ("captured 102 soldiers").
CAPTURE = ("captured", "taken prisoner", "took prisoner", "taken captive", "detained", "seized",
           "taken", "took")
# Nouns that are themselves the metric.
METRIC_NOUNS: dict[str, tuple[str, ...]] = {
    "settlements": ("settlements", "settlement", "villages", "village", "towns", "localities",
                    "locality", "hamlets", "communities"),
    "attacks": ("attacks", "attack", "assaults", "assault", "strikes", "airstrikes", "air strikes",
                "clashes", "combat engagements", "engagements", "shellings", "raids",
                "bombardments", "offensives", "attempts to advance", "assault actions"),
    "buildings": ("buildings", "building", "homes", "houses", "house", "structures", "dwellings",
                  "residences", "residential buildings", "apartment blocks", "properties"),
    "prisoners": ("prisoners of war", "prisoners", "prisoner", "pows", "captives", "detainees"),
    "killed": ("deaths", "bodies", "fatalities", "dead", "lives", "corpses"),
    "injured": ("injuries",),
    "casualties": ("casualties",),
    "displaced": ("evacuees", "refugees"),
}
PERSON_NOUNS = frozenset((
    "times",  # "attacked 45 times": counted as attacks when an attack verb comes before
    "people", "persons", "person", "civilians", "civilian", "residents", "inhabitants",
    "children", "adults", "women", "men", "individuals", "victims", "others", "citizens",
    "migrants", "tourists", "passengers", "students", "patients", "miners", "workers",
    "soldiers", "soldier", "servicemen", "troops", "fighters", "militants", "personnel",
    "marines", "conscripts", "occupiers", "mercenaries", "fishermen", "villagers", "sailors",
    "crew", "crewmen", "hikers", "climbers", "pilgrims", "survivors", "infants", "babies",
    "journalists", "officers", "policemen", "firefighters", "holidaymakers", "homeowners",
    "family members", "relatives", "farmers", "protesters", "detainees", "hostages",
    "visitors", "guests", "locals", "evacuees", "foreigners", "nationals", "citizens",
))
SOLDIER_NOUNS = frozenset(("soldiers", "soldier", "servicemen", "troops", "fighters", "militants",
                           "personnel", "marines", "conscripts", "occupiers", "mercenaries"))
# Words that may stand between a number and its noun: "51 Russian attacks", "151 more buildings".
MODIFIERS = frozenset((
    "more", "other", "additional", "further", "new", "confirmed", "reported", "known",
    "civilian", "military", "enemy", "separate", "different", "residential", "private",
    "people", "drone", "missile", "artillery", "air", "ground", "armed", "local", "foreign",
    "young", "elderly", "small", "large", "total", "destroyed", "damaged", "burned", "fatal",
))
# Verbs and nouns that make a count of damaged things or an area a claim.
DAMAGE = ("destroyed", "damaged", "collapsed", "flattened", "razed", "affected", "submerged",
          "flooded", "swept away", "washed away", "leveled", "levelled", "demolished", "burned",
          "burnt", "gutted", "reduced to rubble", "wrecked", "destroying", "damaging", "toppled",
          "lost", "burned down", "burnt down", "levelled", "torn apart")
CONTROL_EVENT = ("seized", "seize", "seizing", "captured", "capture", "capturing", "took", "taken",
                 "take", "liberated", "liberate", "liberating", "gained", "gaining",
                 "took control", "taken control", "gained control", "took under control",
                 "retook", "retaken", "recaptured", "regained", "reclaimed", "occupied", "lost",
                 "entered", "cleared", "won",
                 "advanced into", "pushed into", "overran")
CONTROL_STATE = ("control", "controls", "controlled", "controlling", "under control",
                 "under our control", "in control", "hold", "holds", "held", "occupy", "occupies")
AREA_EVENT = ("burned", "burnt", "burning", "scorched", "charred", "consumed", "flooded",
              "inundated", "submerged", "under water", "underwater", "engulfed", "blackened",
              "destroyed", "ravaged", "swept", "torched", "affected", "covered by water",
              # the hazard itself: "the fire has grown to 20,000 acres"
              "fire", "fires", "wildfire", "wildfires", "blaze", "blazes", "flames", "inferno",
              "bushfire", "bushfires", "flood", "floods", "flooding", "floodwaters",
              "floodwater")
ADVANCE = ("advanced", "advance", "advances", "advancing", "pushed", "pushing", "penetrated",
           "progressed", "moved forward", "deep", "gained ground", "broke through", "pushed back",
           "pushed forward", "moved", "retreated", "withdrew")
# A measure right after which the number is a distance, a size or a depth, not an advance.
DISTANCE_AFTER = ("from", "away", "off", "outside", "north", "south", "east", "west",
                  "northeast", "northwest", "southeast", "southwest", "north-east", "north-west",
                  "south-east", "south-west", "south-southeast", "front", "long", "wide", "high",
                  "across", "inland", "offshore", "of the", "per hour", "an hour", "radius",
                  "in diameter", "below", "above", "beneath", "underground", "deep beneath")
SIZE_BEFORE = ("covers", "covering", "cover", "spans", "spanning", "area of", "size of",
               "measuring", "measures", "depth of", "altitude of", "elevation of", "radius of",
               "stretches", "stretching", "total area", "territory of", "distance of",
               "length of", "width of", "front of", "a stretch of")
QUAKE = ("earthquake", "quake", "temblor", "tremor", "aftershock", "epicenter", "epicentre",
         "magnitude", "seismic")

# --- qualifiers ----------------------------------------------------------------------------------
QUALIFIERS: dict[str, tuple[str, ...]] = {
    "approx": ("about", "around", "some", "roughly", "nearly", "almost", "close to", "just under",
               "approximately", "an estimated", "estimated", "possibly", "circa", "around than",
               "approx.", "approx", "nearly some", "an approximate", "perhaps", "neary", "or so"),
    "min": ("more than", "over", "at least", "upwards of", "exceeding", "in excess of",
            "greater than", "above", "more over", "not less than", "no fewer than", "no less than",
            "just over", "well over", "topped", "tops", "top", "surpassed", "surpasses",
            "exceeded", "exceeds", "exceed", "surpass", "passed", "beyond", "a minimum of", "at minimum"),
    "max": ("up to", "at most", "as many as", "as much as", "fewer than", "less than", "under",
            "no more than", "not more than", "below", "a maximum of", "at the most"),
}
# "over" after these means "across" or "of" ("control over 1,000 km²"), not "more than".
OVER_NOT_MIN = ("control", "controls", "power", "authority", "spread", "spanning", "sovereignty",
                "stretching", "ranging", "scattered", "from")

# --- kind ----------------------------------------------------------------------------------------
INCREMENT = ("another", "a further", "further", "an additional", "additional", "extra",
             "a further additional")
DAY_WINDOW = ("over the past day", "over the last day", "in the past day", "in the last day",
              "over the past 24 hours", "over the last 24 hours", "in the past 24 hours",
              "in the last 24 hours", "past 24 hours", "last 24 hours", "the past day",
              "since the beginning of the day", "since the start of the day",
              "since the beginning of this day", "during the day", "during the past day",
              "overnight", "the day before", "yesterday", "today", "per day",
              "in a single day", "in one day", "since midnight", "this morning", "last night",
              "over the past week", "in the past week", "this week", "within a day",
              "since the start of the week", "since the beginning of the week")
TOTAL_CUES = ("in total", "a total of", "total of", "the total", "bringing the total",
              "bringing its total", "tally", "so far", "to date", "altogether", "overall",
              "in all", "cumulative", "since the beginning of the operation",
              "since the start of the operation", "since the beginning of the offensive",
              "since the start of the offensive", "since the beginning of the incursion",
              "since the start of the incursion", "since the beginning of the war",
              "since the start of the war", "since the beginning of the invasion",
              "since the start of the invasion", "in all since", "deep", "in depth", "of advances",
              "of advance")

# --- restated and forecast ---------------------------------------------------------------------
PRIOR_REPORT = ("a previous report", "the previous report", "an earlier report",
                "the earlier report", "previous figure", "earlier figure", "previous toll",
                "earlier toll", "previously estimated", "earlier estimate", "previous estimate",
                "denied that", "denies that", "denying that", "had earlier put", "initially put",
                "an initial report", "initial reports", "initially reported", "last year",
                "a year ago", "a year earlier", "the previous year", "in previous years")
FORECAST = re.compile(
    r"(?<!\w)(?:(?:expected|projected|forecast|predicted|likely|set|feared|estimated|poised|"
    r"going)\s+to\s+(?:\w+\s+){0,2}?|(?:will|could|may|might|would|should|can)\s+(?:\w+\s+)?"
    r"|(?:thinks|fears|predicts|projects|forecasts|warns|warned|feared)\s+(?:\w+\s+){0,4}?"
    r"(?:will|could|may|might|would)\s+(?:\w+\s+)?)"
    r"(?:rise|climb|reach|increase|grow|exceed|top|surpass|hit|soar|jump|double|go\s+up|pass)"
    r"(?:\s+(?:to|past|beyond|above))?\s*$",
    re.IGNORECASE,
)

# --- attribution ---------------------------------------------------------------------------------
SPEECH = ("said", "says", "say", "saying", "claimed", "claims", "claim", "claiming", "reported",
          "reports", "report", "reporting", "stated", "states", "announced", "announces",
          "told", "tells", "according to", "alleged", "alleges", "confirmed", "confirms",
          "added", "noted", "estimated", "estimates", "wrote", "posted", "declared", "insisted",
          "asserted", "put", "puts", "cited", "citing", "informed", "briefed", "denied")
LINKING = ("at", "to", "is", "was", "are", "were", "reached", "reaches", "stood", "stands",
           "rose", "risen", "rises", "climbed", "climbs", "hit", "hits", "topped", "tops",
           "of", "now", "soared", "jumped", "increased", "grew", "passed", "surpassed",
           "exceeded", "had", "has", "have", "be", "been", "being", "totalled", "totaled",
           "numbered", "as", "by", "from")
# Words that may follow a bare number without being its noun: "588 were injured".
FUNCTION_WORDS = frozenset((
    "were", "was", "are", "is", "have", "has", "had", "been", "be", "being", "will", "would",
    "could", "may", "might", "should", "can", "of", "in", "at", "on", "by", "and", "but",
    "or", "from", "to", "near", "across", "along", "around", "with", "without", "for", "as",
    "since", "after", "before", "during", "into", "inside", "outside", "while", "who", "which",
    "that", "so", "still", "reportedly", "already", "now", "more", "others", "in", "the",
    "last", "this", "over", "under", "among", "including", "remain", "remained", "remaining",
    "yet", "also", "alone", "each", "apiece", "further", "total", "altogether", "currently",
    "overnight", "today", "yesterday", "tonight", "so", "there", "here", "nationwide", "then",
))

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12,
    "dec": 12,
}
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
            "saturday": 5, "sunday": 6}

# Countries: a figure placed in one of these (when it is not watched) is about that country.
COUNTRIES = (
    "Afghanistan", "Albania", "Algeria", "Angola", "Argentina", "Armenia", "Australia", "Austria",
    "Azerbaijan", "Bangladesh", "Belarus", "Belgium", "Bolivia", "Bosnia", "Brazil", "Bulgaria",
    "Burkina Faso", "Burma", "Cambodia", "Cameroon", "Canada", "Chad", "Chile", "China",
    "Colombia", "Congo", "Costa Rica", "Croatia", "Cuba", "Cyprus", "Czech Republic", "Denmark",
    "Ecuador", "Egypt", "El Salvador", "Eritrea", "Estonia", "Ethiopia", "Fiji", "Finland",
    "France", "Gaza", "Georgia", "Germany", "Ghana", "Greece", "Guatemala", "Haiti", "Honduras",
    "Hungary", "India", "Indonesia", "Iran", "Iraq", "Ireland", "Israel", "Italy", "Jamaica",
    "Japan", "Jordan", "Kazakhstan", "Kenya", "Kosovo", "Kuwait", "Kyrgyzstan", "Laos", "Latvia",
    "Lebanon", "Libya", "Lithuania", "Madagascar", "Malawi", "Malaysia", "Mali", "Mexico",
    "Moldova", "Mongolia", "Morocco", "Mozambique", "Myanmar", "Nepal", "Netherlands",
    "New Zealand", "Nicaragua", "Niger", "Nigeria", "North Korea", "Norway", "Oman", "Pakistan",
    "Panama", "Peru", "Philippines", "Poland", "Portugal", "Qatar", "Romania", "Russia",
    "Rwanda", "Saudi Arabia", "Senegal", "Serbia", "Sierra Leone", "Singapore", "Slovakia",
    "Slovenia", "Somalia", "South Africa", "South Korea", "South Sudan", "Spain", "Sri Lanka",
    "Sudan", "Sweden", "Switzerland", "Syria", "Taiwan", "Tajikistan", "Tanzania", "Thailand",
    "Tunisia", "Turkey", "Türkiye", "Turkmenistan", "Uganda", "Ukraine", "United Kingdom",
    "United States", "Uruguay", "Uzbekistan", "Venezuela", "Vietnam", "Yemen", "Zambia",
    "Zimbabwe", "Bulgaria", "Hawaii", "California", "Florida", "Texas", "Puerto Rico",
)
