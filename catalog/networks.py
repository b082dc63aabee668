"""Where each affiliate network carries our click id: the one registry of those names.

A store names its network (``Merchant.affiliate_network``); the click-out (offers, above catalog) puts the click
id on the outgoing link under the network's link parameter when the store has no tracking template, and the
wallet (above offers) reads it back from the network's postbacks and reports under the report field. Both
layers import this module, so a network's parameter names are written once, here at the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClickParams:
    # the query parameter of an outgoing link that carries our click id
    link: str
    # the postback parameter / report column the network sends it back in
    report: str


DEFAULT_LINK_CLICK_PARAM = "subid"

CLICK_PARAMS: dict[str, ClickParams] = {
    "admitad": ClickParams(link="subid", report="subid"),
    "vcommission": ClickParams(link="aff_sub", report="aff_sub"),
    # Cuelinks takes the id as `subid` on a link and reports it back as `sub_id`.
    "cuelinks": ClickParams(link="subid", report="sub_id"),
    # Staff entry in the admin: our own name.
    "manual": ClickParams(link=DEFAULT_LINK_CLICK_PARAM, report="click_id"),
}


def link_click_param(network: str) -> str:
    """The parameter to put our click id in on a link to ``network`` (a network we do not know: ``subid``)."""
    params = CLICK_PARAMS.get((network or "").lower())
    return params.link if params is not None else DEFAULT_LINK_CLICK_PARAM
