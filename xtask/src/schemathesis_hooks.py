"""Schemathesis hooks for `cargo xtask test` (loaded through SCHEMATHESIS_HOOKS).

The OpenAPI document cannot express some rules the API enforces (an Idempotency-Key is 1 to 255
visible ASCII characters and new for each new request; a donation names exactly one of
`donor_id`, `donor` and `anonymous: true` and is dated at most a day ahead; ids must name rows
on file). Left alone, nearly every schema-valid donation is refused with a 4xx, so no donation
is ever recorded and showing, refunding and voiding one are only tested against 404s.

These hooks touch only the cases schemathesis generates as schema-valid ("positive" mode), and
only in ways that keep them schema-valid: schema-invalid cases still test the server's
rejections, and every check still runs on every response.
"""

import datetime
import itertools

import schemathesis
from schemathesis import GenerationMode

# Unique within a run, and each run has a fresh database.
_keys = itertools.count(1)

# Currencies the server knows; a random three-letter code almost never is one.
_CURRENCIES = ("IDR", "USD", "SAR")


def _today():
    # The UTC date is never ahead of Jakarta's, which the server dates by.
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def _person(body):
    # A random string is almost never a NIK or NPWP (16 digits holding a province code and a
    # date of birth, …): left alone, nearly every registration would be refused with a 422.
    body.pop("nik", None)
    body.pop("npwp", None)


def _donation(body):
    body["received_on"] = _today()
    # Random ids name no campaign or donor on file.
    body.pop("campaign_id", None)
    body.pop("donor_id", None)
    if isinstance(body.get("donor"), dict):
        body.pop("anonymous", None)
        _person(body["donor"])
    else:
        body.pop("donor", None)
        body["anonymous"] = True
    if body.get("currency") not in _CURRENCIES:
        body["currency"] = "IDR"


def _distribution(body):
    body["distributed_on"] = _today()
    body.pop("campaign_id", None)
    body.pop("recipient_id", None)
    if not isinstance(body.get("recipient"), dict):
        body["recipient"] = {"name": "Ahmad"}
    _person(body["recipient"])
    if body.get("currency") not in _CURRENCIES:
        body["currency"] = "IDR"


_BODIES = {
    "POST /api/v1/donations": _donation,
    "POST /api/v1/distributions": _distribution,
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
