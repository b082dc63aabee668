"""Affiliate networks: how each one names the fields of a conversion (in postbacks and CSV reports alike)
and what its statuses mean to us. Parsing only; wallet.services.cashback_record() does the rest.

A bad line or postback raises ConversionError with a message naming the network's own field, e.g.
"subid 'not-a-click-id' is not a click id (UUID)" or "payout is negative (-40.00)".
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from catalog.networks import CLICK_PARAMS
from couponali.money import quantize_paise

PENDING, CONFIRMED, REJECTED = "pending", "confirmed", "rejected"
MAX_AMOUNT = Decimal("99999999.99")  # DECIMAL(10,2)


class ConversionError(ValueError):
    """The report cannot be used as it is; the message says why, in the network's terms."""


@dataclass(frozen=True)
class Network:
    name: str
    label: str
    # our field -> the network's parameter / column name (the click id's from catalog.networks)
    fields: Mapping[str, str]
    # the network's status (lower case) -> ours
    statuses: Mapping[str, str]


NETWORKS: dict[str, Network] = {
    "admitad": Network(
        name="admitad",
        label="Admitad",
        fields={
            "click_id": CLICK_PARAMS["admitad"].report,
            "transaction_id": "order_id",
            "sale_amount": "order_sum",
            "commission": "payment_sum",
            "status": "status",
            "currency": "currency",
        },
        statuses={"pending": PENDING, "approved": CONFIRMED, "declined": REJECTED},
    ),
    "vcommission": Network(
        name="vcommission",
        label="vCommission (TUNE)",
        fields={
            "click_id": CLICK_PARAMS["vcommission"].report,
            "transaction_id": "transaction_id",
            "sale_amount": "sale_amount",
            "commission": "payout",
            "status": "status",
            "currency": "currency",
        },
        statuses={"pending": PENDING, "approved": CONFIRMED, "rejected": REJECTED},
    ),
    "cuelinks": Network(
        name="cuelinks",
        label="Cuelinks",
        fields={
            "click_id": CLICK_PARAMS["cuelinks"].report,
            "transaction_id": "transaction_id",
            "sale_amount": "sale_amount",
            "commission": "commission",
            "status": "status",
            "currency": "currency",
        },
        statuses={
            "pending": PENDING,
            "validated": CONFIRMED,
            "approved": CONFIRMED,
            "rejected": REJECTED,
            "cancelled": REJECTED,
        },
    ),
    # Staff entry in the admin: our own names.
    "manual": Network(
        name="manual",
        label="Staff entry",
        fields={
            "click_id": CLICK_PARAMS["manual"].report,
            "transaction_id": "transaction_id",
            "sale_amount": "sale_amount",
            "commission": "commission",
            "status": "status",
            "currency": "currency",
        },
        statuses={"pending": PENDING, "confirmed": CONFIRMED, "rejected": REJECTED},
    ),
}


@dataclass(frozen=True)
class Conversion:
    network: str
    click_ref: str
    click_id: uuid.UUID
    transaction_id: str
    sale_amount: Decimal
    commission: Decimal | None
    status: str  # pending / confirmed / rejected
    network_status: str
    currency: str
    raw: dict = field(default_factory=dict, compare=False)

    def as_payload(self) -> dict:
        """JSON-safe form, enough to replay the report (unmatched conversions keep it)."""
        return {
            "click_ref": self.click_ref,
            "transaction_id": self.transaction_id,
            "sale_amount": str(self.sale_amount),
            "commission": None if self.commission is None else str(self.commission),
            "status": self.status,
            "network_status": self.network_status,
            "currency": self.currency,
        }

    @classmethod
    def from_payload(cls, *, network: str, payload: Mapping) -> Conversion:
        return cls(
            network=network,
            click_ref=payload["click_ref"],
            click_id=uuid.UUID(payload["click_ref"]),
            transaction_id=payload["transaction_id"],
            sale_amount=Decimal(payload["sale_amount"]),
            commission=None if payload.get("commission") is None else Decimal(payload["commission"]),
            status=payload["status"],
            network_status=payload["network_status"],
            currency=payload.get("currency") or "INR",
        )


def network_get(name: str) -> Network:
    try:
        return NETWORKS[name.lower()]
    except KeyError:
        raise ConversionError(f"unknown network {name!r} (known: {', '.join(sorted(NETWORKS))})") from None


def _text(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    text = "" if value is None else str(value).strip()
    # Requests with one are refused earlier (couponali.middleware); a report file is not a request.
    if "\x00" in text:
        raise ConversionError(f"{name} contains a NUL character")
    return text


def _amount(params: Mapping[str, str], name: str, *, required: bool) -> Decimal | None:
    value = _text(params, name)
    if not value:
        if required:
            raise ConversionError(f"{name} is empty")
        return None
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise ConversionError(f"{name} {value!r} is not an amount") from None
    if not amount.is_finite():
        raise ConversionError(f"{name} {value!r} is not an amount")
    if amount < 0:
        raise ConversionError(f"{name} is negative ({value})")
    if amount > MAX_AMOUNT:
        raise ConversionError(f"{name} {value} is too large")
    # Networks send paise at most; anything finer is rounded half-up to the paisa, explicitly.
    return quantize_paise(amount, rounding=ROUND_HALF_UP)


def conversion_parse(network: Network, params: Mapping[str, str]) -> Conversion:
    """Read one conversion (postback parameters or a CSV row) in ``network``'s names."""
    f = network.fields
    click_ref = _text(params, f["click_id"])
    if not click_ref:
        raise ConversionError(f"{f['click_id']} is empty")
    try:
        click_id = uuid.UUID(click_ref)
    except ValueError:
        raise ConversionError(f"{f['click_id']} {click_ref!r} is not a click id (UUID)") from None
    transaction_id = _text(params, f["transaction_id"])
    if not transaction_id:
        raise ConversionError(f"{f['transaction_id']} is empty")
    if len(transaction_id) > 255:
        raise ConversionError(f"{f['transaction_id']} is longer than 255 characters")
    sale_amount = _amount(params, f["sale_amount"], required=True)
    if sale_amount is None:  # required=True raised already; this tells the type checker
        raise ConversionError(f"{f['sale_amount']} is empty")
    commission = _amount(params, f["commission"], required=False)
    network_status = _text(params, f["status"])
    if not network_status:
        raise ConversionError(f"{f['status']} is empty")
    status = network.statuses.get(network_status.lower())
    if status is None:
        raise ConversionError(
            f"unknown {f['status']} {network_status!r} (expected one of: {', '.join(network.statuses)})"
        )
    currency = (_text(params, f["currency"]) or "INR").upper()
    if currency != "INR":
        raise ConversionError(f"{f['currency']} {currency!r} is not supported (INR only)")
    return Conversion(
        network=network.name,
        click_ref=click_ref,
        click_id=click_id,
        transaction_id=transaction_id,
        sale_amount=sale_amount,
        commission=commission,
        status=status,
        network_status=network_status.lower(),
        currency=currency,
        raw=dict(params),
    )


_FIELD_MEANINGS = {
    "click_id": "our click id (the UUID we put on the outgoing link)",
    "transaction_id": "the network's transaction (order) id: the key of repeats and status changes",
    "sale_amount": "the sale amount in rupees",
    "commission": "the commission the store pays (optional)",
    "status": "the conversion's status",
    "currency": "INR (optional)",
}


def postback_docs() -> str:
    """Markdown for the API docs: each network's postback parameters and statuses, written from NETWORKS (the one
    home of those names), so the documentation cannot drift from what the parser reads."""
    lines = [
        "Authenticate with the network's shared secret (`secret` parameter or `X-Postback-Secret` header) or an "
        "HMAC-SHA256 signature of the other parameters sorted by name, `name=value` joined by `&` (`signature` "
        "parameter or `X-Postback-Signature` header). Repeats and out-of-order statuses change nothing.",
        "",
        "| network (path) | " + " | ".join(f"`{name}`" for name in _FIELD_MEANINGS) + " | statuses (theirs → ours) |",
        "|---" * (len(_FIELD_MEANINGS) + 2) + "|",
    ]
    for spec in NETWORKS.values():
        if spec.name == "manual":
            continue
        statuses = ", ".join(f"{theirs} → {ours}" for theirs, ours in spec.statuses.items())
        cells = " | ".join(f"`{spec.fields[name]}`" for name in _FIELD_MEANINGS)
        lines.append(f"| {spec.label} (`{spec.name}`) | {cells} | {statuses} |")
    lines += ["", "Fields: " + "; ".join(f"`{name}`: {meaning}" for name, meaning in _FIELD_MEANINGS.items()) + "."]
    return "\n".join(lines)


POSTBACK_EXAMPLES = {
    "admitad": "subid=<click_id>&order_id=AD-77120&order_sum=2499.00&payment_sum=149.94&currency=INR&status=pending",
    "vcommission": "aff_sub=<click_id>&transaction_id=VC-55012&sale_amount=1299&payout=64.95&status=approved",
    "cuelinks": "sub_id=<click_id>&transaction_id=CL-1003&sale_amount=3499&commission=122.46&status=validated",
}
"""A postback query string of each network, as it sends one (the shapes of ../shared/samples/README.md)."""


def postback_parameters() -> dict[str, list[str]]:
    """Every postback parameter name and the networks that send it (for the schema's parameter list)."""
    names: dict[str, list[str]] = {}
    for spec in NETWORKS.values():
        if spec.name != "manual":
            for param in spec.fields.values():
                names.setdefault(param, []).append(spec.label)
    return names
