"""Schemathesis hooks for `cargo xtask test` (loaded through SCHEMATHESIS_HOOKS).

The OpenAPI document cannot express some rules the API enforces (an Idempotency-Key is 1 to 255
visible ASCII characters and new for each new request; a donation names exactly one of
`donor_id`, `donor` and `anonymous: true` and is dated at most a day ahead; ids must name rows
on file; the fund rules of docs/BOOKS.md: a gift in another currency than IDR carries
`rate_to_idr` and a rupiah gift does not, a distribution names an `asnaf` or, from `non_halal`
money only, a `purpose`, campaign money pays only the campaign's asnaf, shares stay under their
caps). Left alone, nearly every schema-valid donation is refused with a 4xx, so no donation
is ever recorded and showing, refunding and voiding one are only tested against 404s.

These hooks touch only the cases schemathesis generates as schema-valid ("positive" mode), and
only in ways that keep them schema-valid: schema-invalid cases still test the server's
rejections, and every check still runs on every response.
"""

import datetime
import itertools
import json
import unicodedata

import schemathesis
from schemathesis import GenerationMode

# Unique within a run, and each run has a fresh database.
_keys = itertools.count(1)

# Currencies the server knows; a random three-letter code almost never is one.
_CURRENCIES = ("IDR", "USD", "SAR")


def _today():
    # The UTC date is never ahead of Jakarta's, which the server dates by.
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


# Campaigns this run opened (id -> allowed asnaf), learnt from their 201 answers, so that
# donations and distributions can name one on file.
_campaigns = {}

# Funds kept per campaign (docs/BOOKS.md); the others refuse a `campaign_id`.
_PER_CAMPAIGN = ("zakat", "infak_sedekah_restricted", "fidyah", "kafarat")
_POOR = ("fakir", "miskin")
_ASNAF = ("fakir", "miskin", "mualaf", "riqab", "gharimin", "fi_sabilillah", "ibnu_sabil")
_PURPOSES = ("public_facilities", "disaster_relief", "health", "social_welfare", "environment")


def _campaign_for(feeds_only_the_poor):
    """A campaign on file whose money the fund can spend, if any: (id, allowed asnaf)."""
    for campaign_id, allowed in _campaigns.items():
        if not feeds_only_the_poor or any(a in _POOR for a in allowed):
            return campaign_id, allowed
    return None, None


def _printable(body, *fields):
    """Replaces control characters in free-text fields (the server refuses them: receipts and
    reports print these) one for one, so the length the schema allows still holds."""
    for field in fields:
        value = body.get(field)
        if isinstance(value, str):
            body[field] = "".join("x" if unicodedata.category(c) == "Cc" else c for c in value)


def _at_most(body, field, cap):
    """Keeps a percentage field (a string) at or under `cap`, still matching its pattern."""
    value = body.get(field)
    if isinstance(value, str):
        try:
            if float(value) > cap:
                body[field] = str(cap)
        except ValueError:
            pass


def _person(body):
    # A random string is almost never a NIK or NPWP (16 digits holding a province code and a
    # date of birth, …): left alone, nearly every registration would be refused with a 422.
    body.pop("nik", None)
    body.pop("npwp", None)
    _printable(body, "name")


def _donation(body):
    body["received_on"] = _today()
    body.pop("donor_id", None)
    if isinstance(body.get("donor"), dict):
        body.pop("anonymous", None)
        _person(body["donor"])
    else:
        body.pop("donor", None)
        body["anonymous"] = True
    if body.get("currency") not in _CURRENCIES:
        body["currency"] = "IDR"
    if body["currency"] == "IDR":
        body.pop("rate_to_idr", None)
    else:
        body["rate_to_idr"] = "15850.25"
    # A random id names no campaign: name one on file, one the gift's fund can spend on.
    if "campaign_id" in body:
        campaign_id, _ = _campaign_for(body.get("type") in ("fidyah", "kafarat"))
        if campaign_id is None:
            body.pop("campaign_id")
        else:
            body["campaign_id"] = campaign_id


def _distribution(body):
    body["distributed_on"] = _today()
    body.pop("recipient_id", None)
    if not isinstance(body.get("recipient"), dict):
        body["recipient"] = {"name": "Ahmad"}
    _person(body["recipient"])
    _printable(body, "program")
    if body.get("currency") not in _CURRENCIES:
        body["currency"] = "IDR"
    fund = body.get("fund")
    if fund == "wakaf":
        # The principal is never distributed; its benefits are.
        body["fund"] = fund = "wakaf_benefits"
    poor_only = fund in ("fidyah", "kafarat")
    allowed = None
    if fund in _PER_CAMPAIGN and ("campaign_id" in body or fund == "infak_sedekah_restricted"):
        campaign_id, allowed = _campaign_for(poor_only)
        if campaign_id is None:
            body.pop("campaign_id", None)
            if fund == "infak_sedekah_restricted":
                body["fund"] = fund = "infak_sedekah_unrestricted"
        else:
            body["campaign_id"] = campaign_id
    else:
        body.pop("campaign_id", None)
    if fund == "non_halal":
        body.pop("asnaf", None)
        if body.get("purpose") not in _PURPOSES:
            body["purpose"] = _PURPOSES[0]
        return
    body.pop("purpose", None)
    choices = _ASNAF if fund != "amil" else ("amil",)
    if poor_only:
        choices = _POOR
    if allowed is not None:
        choices = [a for a in choices if a in allowed] or list(choices)
    if body.get("asnaf") not in choices:
        body["asnaf"] = choices[0]


def _campaign(body):
    _printable(body, "name", "purpose")
    asnaf = body.get("allowed_asnaf")
    if isinstance(asnaf, list):
        asnaf = [a for a in asnaf if a != "amil"]
        if asnaf:
            body["allowed_asnaf"] = asnaf
        else:
            body.pop("allowed_asnaf")
    _at_most(body, "amil_share_percent", 20)


def _wakaf_benefit(body):
    body["received_on"] = _today()
    _printable(body, "source")
    body["currency"] = "IDR"
    _at_most(body, "nazhir_share_percent", 10)


_BODIES = {
    "POST /api/v1/donations": _donation,
    "POST /api/v1/distributions": _distribution,
    "POST /api/v1/campaigns": _campaign,
    "POST /api/v1/wakaf/benefits": _wakaf_benefit,
    "PUT /api/v1/settings/amil_share": lambda body: _at_most(body, "percent", 12.5),
    "PUT /api/v1/settings/amil_share_infak": lambda body: _at_most(body, "percent", 20),
    "POST /api/v1/donors": _person,
    "POST /api/v1/recipients": _person,
    "PATCH /api/v1/donors/{id}": _person,
    "PATCH /api/v1/recipients/{id}": _person,
}

# Searches by an identifier whose checks a random string fails (NIK, NPWP, the NPWZ's check
# digit): dropped from schema-valid searches so that they list people.
_CHECKED_QUERY = ("nik", "npwp", "npwz")


@schemathesis.hook
def map_case(context, case):
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.POSITIVE:
        return case
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = f"xtask-{next(_keys)}"
    shape = _BODIES.get(case.operation.label)
    if shape is not None and isinstance(case.body, dict):
        shape(case.body)
    if case.operation.label in ("GET /api/v1/donors", "GET /api/v1/recipients") and case.query:
        for name in _CHECKED_QUERY:
            case.query.pop(name, None)
    return case


@schemathesis.hook
def after_call(context, case, response):
    if case.operation.label != "POST /api/v1/campaigns" or response.status_code != 201:
        return
    try:
        campaign = json.loads(response.content)
        _campaigns[campaign["id"]] = campaign["allowed_asnaf"]
    except (ValueError, KeyError, TypeError):
        pass  # response_schema_conformance reports a bad body
