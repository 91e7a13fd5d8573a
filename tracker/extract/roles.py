"""Telling officials from analysts by the words that describe them, and countries by their names."""

from __future__ import annotations

import functools
import re

from ..text import fold

# Words that put a person in a government, parliament or central-bank office.
OFFICIAL_WORDS = (
    "minister",
    "secretary",
    "governor",
    "chancellor",
    "premier",
    "president",
    "commissioner",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "ambassador",
    "negotiator",
    "representative",
    "envoy",
    "undersecretary",
    "under-secretary",
    "official",
    "lawmaker",
    "senator",
    "congressman",
    "congresswoman",
    "legislator",
    "diplomat",
    "director-general",
    "director general",
    "vice premier",
    "central banker",
    "policymaker",
    "policy maker",
    "chair of the federal reserve",
    "fed chair",
    "chairman of the federal reserve",
    "mayor",
    "regulator",
    "deputy",
    "vice-minister",
    "vice minister",
    "councillor",
    "prime minister",
    "head of state",
    "cabinet",
    "white house",
    "ministry",
    "treasury",
    "ustr",
    "commerce department",
    "board member",
    "board of governors",
    "attorney general",
    "premier",
    "parliamentary",
)
# Words that mark a person outside office: markets, business, academia, lobbies.
NON_OFFICIAL_WORDS = (
    "analyst",
    "strategist",
    "economist",
    "executive",
    "ceo",
    "chief executive",
    "cfo",
    "founder",
    "fund manager",
    "portfolio manager",
    "trader",
    "investor",
    "professor",
    "fellow",
    "researcher",
    "lobbyist",
    "head of research",
    "partner at",
    "consultant",
    "chairman of the board",
    "managing director",
    "banker at",
    "dealer",
    "broker",
    "scholar",
    "academic",
    "student",
    "union",
    "farmer",
    "owner",
    "adviser at",
    "advisor at",
    "director at",
    "head of",
    "president of the",
    "chair of the",
    "vice president at",
    "senior vice president",
)
PRIVATE_ORG = re.compile(
    r"\b(securities|capital|partners|group|inc|corp|corporation|ltd|llc|plc|research|institute|university|"
    r"association|federation|chamber|fund|investments?|asset|management|advisors|advisers|consulting|"
    r"economics|holdings|industries|motors|bank of america|goldman|morgan|citi|nomura|mizuho|barclays|hsbc|"
    r"ubs|ing|rabobank|analytics|insights|strategies|markets|trading|council|foundation|think tank|works)\b",
    re.I,
)
CENTRAL_BANKS = re.compile(
    r"\b(federal reserve|fed\b|central bank|bank of japan|boj|european central bank|ecb|bank of england|boe|"
    r"people's bank of china|pboc|bank of canada|bank of korea|reserve bank|banxico|banco de m[eé]xico|bundesbank|"
    r"banque de france|swiss national bank)\b",
    re.I,
)

COUNTRY_WORDS: dict[str, str] = {
    "japan": "JP",
    "japanese": "JP",
    "tokyo": "JP",
    "u.s.": "US",
    "united states": "US",
    "american": "US",
    "washington": "US",
    "america": "US",
    "china": "CN",
    "chinese": "CN",
    "beijing": "CN",
    "eu": "EU",
    "european union": "EU",
    "european": "EU",
    "brussels": "EU",
    "canada": "CA",
    "canadian": "CA",
    "ottawa": "CA",
    "mexico": "MX",
    "mexican": "MX",
    "south korea": "KR",
    "korea": "KR",
    "korean": "KR",
    "south korean": "KR",
    "seoul": "KR",
    "uk": "GB",
    "u.k.": "GB",
    "britain": "GB",
    "british": "GB",
    "united kingdom": "GB",
    "germany": "DE",
    "german": "DE",
    "berlin": "DE",
    "france": "FR",
    "french": "FR",
    "paris": "FR",
    "india": "IN",
    "indian": "IN",
    "new delhi": "IN",
    "italy": "IT",
    "italian": "IT",
    "spain": "ES",
    "spanish": "ES",
    "brazil": "BR",
    "brazilian": "BR",
    "australia": "AU",
    "australian": "AU",
    "taiwan": "TW",
    "taiwanese": "TW",
    "switzerland": "CH",
    "swiss": "CH",
    "vietnam": "VN",
    "vietnamese": "VN",
    "indonesia": "ID",
    "indonesian": "ID",
    "russia": "RU",
    "russian": "RU",
    "netherlands": "NL",
    "dutch": "NL",
    "singapore": "SG",
    "thailand": "TH",
    "malaysia": "MY",
}
_COUNTRY = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, COUNTRY_WORDS), key=len, reverse=True)) + r")(?:'s|’s)?\b", re.I
)


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(r"\b" + re.escape(word) + r"\b", text) for word in words)


def is_official_role(role_text: str | None) -> bool | None:
    """True for an office, False for a market or business role, None when the words do not say."""
    if not role_text:
        return None
    text = role_text.casefold()
    if re.search(r"\b(former|ex-|retired|one-time|onetime)\b", text):
        return False
    if CENTRAL_BANKS.search(text) and not _has(text, ("economist at", "strategist", "analyst")):
        return True
    if _has(text, NON_OFFICIAL_WORDS):
        return False
    if PRIVATE_ORG.search(text) and not _has(text, ("ministry", "minister", "government")):
        return False
    if _has(text, OFFICIAL_WORDS):
        return True
    return None


def country_in(text: str | None) -> str | None:
    """The first country named or implied ("Japan's", "Mexican", "U.S.") in a role phrase."""
    if not text:
        return None
    match = _COUNTRY.search(text)
    us = re.search(r"\bUS\b", text)  # "US" only in capitals: "us" is a pronoun
    if us and (match is None or us.start() < match.start()):
        return "US"
    return COUNTRY_WORDS[match.group(1).casefold()] if match else None


_LEADING_COUNTRY = re.compile(
    r"^(?P<country>" + "|".join(sorted((re.escape(w) for w in COUNTRY_WORDS), key=len, reverse=True)) + r")(?:'s)?\s+"
)


@functools.lru_cache(maxsize=16384)
def descriptor_key(phrase: str) -> tuple[str | None, str]:
    """("JP", "finance minister") for "Japan's finance minister"; (None, "minister") for "the minister"."""
    text = fold(phrase).replace("’", "'")
    text = re.sub(r"^(the|a|an|this|that)\s+", "", text)
    country = None
    match = _LEADING_COUNTRY.match(text)
    if match:
        country = COUNTRY_WORDS[match.group("country")]
        text = text[match.end() :]
    text = re.sub(r"^(the|a|an)\s+", "", text)
    return country, " ".join(text.replace("'s", "").split())
