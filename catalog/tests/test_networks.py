"""catalog.networks is the one registry of each affiliate network's click-id names: the click-out writes the link
parameter (offers.clickout) and the wallet reads the report field (wallet.networks) from it, for every network a
store can name."""

from __future__ import annotations

from catalog.models import Merchant
from catalog.networks import CLICK_PARAMS, DEFAULT_LINK_CLICK_PARAM, link_click_param
from wallet.networks import NETWORKS


def test_every_network_a_store_can_name_has_its_click_params():
    assert set(CLICK_PARAMS) == set(Merchant.Network.values)


def test_the_wallet_reads_the_click_id_under_the_registrys_report_field():
    assert set(NETWORKS) == set(CLICK_PARAMS)
    for name, params in CLICK_PARAMS.items():
        assert NETWORKS[name].fields["click_id"] == params.report, name


def test_the_link_parameter_of_a_network_and_the_fallback():
    assert link_click_param("VCommission") == CLICK_PARAMS["vcommission"].link == "aff_sub"
    assert link_click_param("") == link_click_param("no-such-network") == DEFAULT_LINK_CLICK_PARAM
