"""SEO redirects: the middleware, cache invalidation, loops and chains, CSV import, and slug renames."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models.fields.files import FieldFile
from django.test.utils import CaptureQueriesContext

from accounts.factories import StaffUserFactory
from catalog.factories import CategoryFactory, MerchantFactory
from catalog.models import Merchant
from cms.models import SeoRedirect
from cms.services import RedirectRefused, seo_redirect_save
from couponali.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the after-commit hooks (the redirect generation bump) of what the block saves."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def save(committed, **kwargs):
    with committed():
        return seo_redirect_save(actor_id=None, **kwargs)


def test_stored_status_exact_path_and_optional_query_carry_over(client, committed):
    save(committed, source_path="/old-deals/", target_path="/search/?type=deal", http_status=308, keep_query=True)
    save(committed, source_path="/flipkart-offers/", target_path="/stores/flipkart/", http_status=302)
    save(committed, source_path="/gone/", target_path="https://blog.couponali.in/moved", http_status=307)

    r = client.get("/old-deals/?utm_source=mail&x=1")
    assert r.status_code == 308 and r["Location"] == "/search/?type=deal&utm_source=mail&x=1"
    r = client.get("/flipkart-offers/?utm_source=mail")
    assert r.status_code == 302 and r["Location"] == "/stores/flipkart/"  # no carry-over unless asked
    r = client.post("/gone/")
    assert r.status_code == 307 and r["Location"] == "https://blog.couponali.in/moved"
    # exact match only: no prefix, no missing slash
    assert client.get("/old-deals/more/").status_code == 404
    assert client.get("/flipkart-offers").status_code == 404


def test_a_change_applies_on_the_next_request_and_a_hit_needs_no_query(client, committed, settings):
    row = save(committed, source_path="/old/", target_path="/stores/")
    assert client.get("/old/")["Location"] == "/stores/"
    with committed():
        seo_redirect_save(source_path="/old/", target_path="/categories/", redirect_id=row.pk, actor_id=None)
    assert client.get("/old/")["Location"] == "/categories/"
    with committed():
        seo_redirect_save(
            source_path="/old/", target_path="/categories/", is_active=False, redirect_id=row.pk, actor_id=None
        )
    assert client.get("/old/").status_code == 404

    # a cached table answers without touching the database
    settings.SEO_REDIRECTS_MAX_AGE = 3600
    save(committed, source_path="/cached/", target_path="/stores/")
    client.get("/cached/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/cached/")["Location"] == "/stores/"
    assert len(queries) == 0


def test_a_redirect_loop_is_refused_and_changes_nothing(committed):
    save(committed, source_path="/a/", target_path="/b/")
    save(committed, source_path="/b/", target_path="/c/")  # /a/ now goes straight to /c/
    assert SeoRedirect.objects.get(source_path="/a/").target_path == "/c/"
    with pytest.raises(RedirectRefused, match="loop"):
        seo_redirect_save(source_path="/c/", target_path="/a/", actor_id=None)
    with pytest.raises(RedirectRefused, match="itself"):
        seo_redirect_save(source_path="/d/", target_path="/d/?x=1", actor_id=None)
    assert SeoRedirect.objects.count() == 2


def test_a_chain_is_flattened_to_one_hop_both_ways(committed):
    save(committed, source_path="/x/", target_path="/y/")
    save(committed, source_path="/w/", target_path="/x/")  # forward: /w/ → /y/
    assert SeoRedirect.objects.get(source_path="/w/").target_path == "/y/"
    save(committed, source_path="/y/", target_path="/z/")  # backward: /x/ and /w/ now → /z/
    assert dict(SeoRedirect.objects.values_list("source_path", "target_path")) == {
        "/x/": "/z/",
        "/w/": "/z/",
        "/y/": "/z/",
    }


def test_bad_paths_are_refused_with_a_reason():
    for source, target, reason in [
        ("old", "/new/", "must start with a single /"),
        ("//evil.example/", "/new/", "must start with a single /"),
        ("/old/?a=1", "/new/", "without a query"),
        ("/old/", "javascript:alert(1)", "http(s) URL"),
        ("/old/", "//evil.example/", "http(s) URL"),
    ]:
        with pytest.raises(RedirectRefused, match=reason.replace("(", r"\(").replace(")", r"\)")):
            seo_redirect_save(source_path=source, target_path=target, actor_id=None)
    assert not SeoRedirect.objects.exists()


def test_admin_refuses_a_loop_with_a_form_error(admin_client, committed):
    save(committed, source_path="/a/", target_path="/b/")
    r = admin_client.post(
        "/admin/cms/seoredirect/add/",
        {"source_path": "/b/", "target_path": "/a/", "http_status": "301", "is_active": "on"},
    )
    assert r.status_code == 200 and "loop" in r.content.decode()
    assert SeoRedirect.objects.count() == 1


def test_csv_import_is_all_or_nothing_with_line_numbers(admin_client):
    bad = b"source_path,target_path,http_status,keep_query\n/one/,/stores/,301,no\n/two/,/two/,301,\n/three/,/x/,299,\n"
    r = admin_client.post("/admin/cms/seoredirect/import/", {"file": SimpleUploadedFile("r.csv", bad)})
    body = r.content.decode()
    assert r.status_code == 400 and "line 3:" in body and "itself" in body and "line 4:" in body
    assert not SeoRedirect.objects.exists()

    good = "source_path,target_path,http_status,keep_query\n/one/,/stores/,301,no\n/two/,/one/,308,yes\n"
    r = admin_client.post("/admin/cms/seoredirect/import/", {"file": SimpleUploadedFile("r.csv", good.encode())})
    assert r.status_code == 302
    rows = {r.source_path: (r.target_path, r.http_status, r.keep_query) for r in SeoRedirect.objects.all()}
    assert rows == {"/one/": ("/stores/", 301, False), "/two/": ("/stores/", 308, True)}
    assert AuditLog.objects.filter(action="seo.redirect_saved").count() == 2


def _change_form_data(response) -> dict:
    """The admin change form's current values, as the browser would post them back."""
    data: dict = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False or isinstance(value, FieldFile):
                continue  # a browser posts no file back
            if isinstance(value, dt.datetime):
                data[form.add_prefix(name) + "_0"], data[form.add_prefix(name) + "_1"] = (
                    value.date().isoformat(),
                    value.time().isoformat(),
                )
            else:
                data[form.add_prefix(name)] = "on" if value is True else value
    return data


def test_renaming_a_store_slug_in_the_admin_redirects_the_old_url_with_301(client, django_capture_on_commit_callbacks):
    store = MerchantFactory(name="Myntra", slug="myntra-fashion")
    staff = StaffUserFactory()
    client.force_login(staff)
    url = f"/admin/catalog/merchant/{store.pk}/change/"
    data = _change_form_data(client.get(url))
    data["slug"] = "myntra"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url, data)
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Merchant.objects.get(pk=store.pk).slug == "myntra"
    client.logout()
    old = client.get("/stores/myntra-fashion/?utm_source=x")
    assert old.status_code == 301 and old["Location"] == "/stores/myntra/?utm_source=x"
    assert client.get("/stores/myntra/").status_code == 200

    # renamed back: the live URL is not redirected away, the other one is
    client.force_login(staff)
    data = _change_form_data(client.get(url))
    data["slug"] = "myntra-fashion"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, data).status_code == 302
    client.logout()
    assert dict(SeoRedirect.objects.values_list("source_path", "target_path")) == {
        "/stores/myntra/": "/stores/myntra-fashion/"
    }
    assert client.get("/stores/myntra-fashion/").status_code == 200


def test_renaming_a_category_slug_adds_the_redirect(admin_client, django_capture_on_commit_callbacks):
    category = CategoryFactory(name="Mobiles", slug="mobile-phones")
    url = f"/admin/catalog/category/{category.pk}/change/"
    data = _change_form_data(admin_client.get(url))
    data["slug"] = "mobiles"
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(url, data).status_code == 302
    assert SeoRedirect.objects.get(source_path="/categories/mobile-phones/").target_path == "/categories/mobiles/"
