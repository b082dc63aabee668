"""manage.py import_offers: the sample feeds, their exact bad lines, idempotency, and clear errors."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditLog
from catalog.factories import CategoryFactory, MerchantFactory
from catalog.models import Merchant
from devtools.testing import shared_path
from offers.models import Offer

SAMPLES = shared_path("samples")
CSV_FEED = SAMPLES / "offers_feed.csv"
JSON_FEED = SAMPLES / "offers_feed.json"


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_offers", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def bad_lines(err: str, label: str = "line") -> dict[int, str]:
    out = {}
    for row in err.strip().splitlines():
        head, _, reason = row.partition(": ")
        word, number = head.split()
        assert word == label
        out[int(number)] = reason
    return out


@pytest.mark.django_db
def test_csv_sample_imports_good_lines_and_reports_exactly_the_bad_ones():
    assert CSV_FEED.exists()
    electronics = CategoryFactory(name="Electronics", slug="electronics")
    amazon = MerchantFactory(name="Amazon", slug="amazon")

    out, err = run(str(CSV_FEED), "--network", "admitad")

    errors = bad_lines(err)
    assert set(errors) == {7, 8, 9, 10}
    assert "title is missing" in errors[7]
    assert "expires_at is before starts_at" in errors[8]
    assert "cashback_value 'abc' is not a number" in errors[9]
    assert "offer_type 'coupon2'" in errors[10]
    assert "5 created, 1 updated, 0 unchanged, 4 bad line(s)" in out

    offers = Offer.objects.filter(network="admitad")
    assert sorted(offers.values_list("network_offer_id", flat=True)) == [
        "ADM-100201",
        "ADM-100202",
        "ADM-100203",
        "ADM-100204",
        "ADM-100205",
    ]
    # line 11 updated the offer of line 2
    echo = offers.get(network_offer_id="ADM-100201")
    assert (echo.title, echo.coupon_code, echo.cashback_value) == (
        "Flat 12% off on Echo devices (updated)",
        "ECHO12",
        Decimal("7.00"),
    )
    assert echo.merchant_id == amazon.pk and echo.category_id == electronics.pk
    swiggy = offers.get(network_offer_id="ADM-100204")
    assert swiggy.expires_at is None and swiggy.cashback_type == "fixed"
    # unknown stores were created inactive; stores named only on bad lines were not created at all
    created = set(Merchant.all_objects.exclude(pk=amazon.pk).values_list("name", "is_active"))
    assert created == {("Flipkart", False), ("Myntra", False), ("Swiggy", False), ("MakeMyTrip", False)}
    assert "New stores created inactive" in out
    # one audit row for the run
    audit = AuditLog.objects.get(action="offers.import_feed")
    assert audit.metadata["bad_lines"] == [7, 8, 9, 10]
    # and the search word list was rebuilt (words of live offers of active stores)
    from offers.models import SearchWord

    assert SearchWord.objects.filter(word="echo").exists()


@pytest.mark.django_db
def test_running_the_same_feed_twice_changes_nothing():
    run(str(CSV_FEED), "--network", "admitad")
    before = {
        o.network_offer_id: (o.pk, o.title, o.coupon_code, o.cashback_value, o.expires_at)
        for o in Offer.objects.filter(network="admitad")
    }
    merchants = Merchant.all_objects.count()
    _, err = run(str(CSV_FEED), "--network", "admitad")
    after = {
        o.network_offer_id: (o.pk, o.title, o.coupon_code, o.cashback_value, o.expires_at)
        for o in Offer.objects.filter(network="admitad")
    }
    assert after == before
    assert Merchant.all_objects.count() == merchants
    assert set(bad_lines(err)) == {7, 8, 9, 10}


@pytest.mark.django_db
def test_json_sample_reports_items_4_and_5():
    out, err = run(str(JSON_FEED), "--network", "cuelinks")
    errors = bad_lines(err, "item")
    assert set(errors) == {4, 5}
    assert "merchant is missing" in errors[4]
    assert "cashback_value must not be negative" in errors[5]
    assert "3 created, 0 updated, 0 unchanged, 2 bad item(s)" in out
    zomato = Offer.objects.get(network="cuelinks", network_offer_id="CL-9002")
    assert zomato.expires_at is None
    pepperfry = Offer.objects.get(network="cuelinks", network_offer_id="CL-9003")
    assert pepperfry.starts_at == datetime.fromisoformat("2026-11-10T00:00:00+05:30")
    assert not Merchant.all_objects.filter(name="Lenskart").exists()  # only on a bad item


@pytest.mark.django_db
def test_the_same_offer_id_from_another_network_is_another_offer():
    run(str(CSV_FEED), "--network", "admitad")
    run(str(CSV_FEED), "--network", "vcommission")
    assert Offer.objects.filter(network_offer_id="ADM-100201").count() == 2


@pytest.mark.django_db
def test_imported_offers_of_new_stores_stay_unlisted_until_the_store_is_activated(client):
    run(str(JSON_FEED), "--network", "cuelinks")
    assert "Flat 50-80% off" not in client.get("/search/?q=ajio").content.decode()


@pytest.mark.django_db
def test_deleted_offers_are_updated_but_not_brought_back():
    run(str(JSON_FEED), "--network", "cuelinks")
    offer = Offer.objects.get(network_offer_id="CL-9001")
    offer.delete()
    run(str(JSON_FEED), "--network", "cuelinks")
    assert Offer.all_objects.filter(network_offer_id="CL-9001").count() == 1
    assert Offer.all_objects.get(network_offer_id="CL-9001").deleted_at is not None


@pytest.mark.django_db
def test_format_option_and_other_validation(tmp_path):
    feed = tmp_path / "feed.txt"
    feed.write_text(
        json.dumps(
            [
                {
                    "network_offer_id": "X1",
                    "merchant": "Croma",
                    "title": "ok",
                    "offer_type": "deal",
                    "affiliate_url": "javascript:alert(1)",
                },
                {"network_offer_id": "X2", "merchant": "Croma", "title": "ok", "offer_type": "code"},
                {
                    "network_offer_id": "X3",
                    "merchant": "Croma",
                    "title": "ok",
                    "offer_type": "deal",
                    "cashback_type": "percentage",
                    "cashback_value": "120",
                },
                {
                    "network_offer_id": "X4",
                    "merchant": "Croma",
                    "title": "ok",
                    "offer_type": "deal",
                    "starts_at": "31/12/2026",
                },
                "not an object",
                {
                    "network_offer_id": "X6",
                    "merchant": "Croma",
                    "title": "fine",
                    "offer_type": "DEAL",
                    "cashback_type": "fixed",
                    "cashback_value": 25,
                    "category": "Nowhere",
                },
            ]
        )
    )
    out, err = run(str(feed), "--network", "manual", "--format", "json")
    errors = bad_lines(err, "item")
    assert "affiliate_url" in errors[1]
    assert "coupon_code is missing" in errors[2]
    assert "cannot exceed 100" in errors[3]
    assert "is not a date" in errors[4]
    assert "not an object" in errors[5]
    assert 6 not in errors
    assert "Unknown categories left empty: Nowhere" in out
    assert Offer.objects.get(network_offer_id="X6").offer_type == "deal"


@pytest.mark.django_db
def test_csv_line_numbers_count_blank_and_multi_line_rows(tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "network_offer_id,merchant,title,offer_type\n"
        'A1,Croma,"Two\nlines",deal\n'
        "\n"
        "A2,Croma,,deal\n"
        "A3,Croma,extra,deal,surplus\n",
        encoding="utf-8",
    )
    _, err = run(str(feed), "--network", "manual")
    assert set(bad_lines(err)) == {5, 6}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/file.csv", "--network", "admitad"], "file not found"),
        ([str(SAMPLES / "README.md"), "--network", "admitad"], "cannot tell the format"),
        ([str(CSV_FEED), "--network", "bad network!"], "--network must be"),
        ([str(CSV_FEED), "--network", "admitad", "--format", "json"], "not valid JSON"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_offers", *args, "--no-progress", stdout=StringIO(), stderr=StringIO())
    assert not Offer.objects.exists() and not Merchant.all_objects.exists()


@pytest.mark.django_db
def test_fail_on_errors_exits_non_zero():
    with pytest.raises(SystemExit) as exc:
        run(str(CSV_FEED), "--network", "admitad", "--fail-on-errors")
    assert exc.value.code == 1


@pytest.mark.django_db
def test_progress_bar_is_shown_on_stderr(capsys):
    call_command("import_offers", str(JSON_FEED), "--network", "cuelinks", stdout=StringIO(), stderr=StringIO())
    assert "import offers_feed.json" in capsys.readouterr().err
