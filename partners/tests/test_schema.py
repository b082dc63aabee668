"""The OpenAPI schema documents the API key scheme, the partner endpoints and each network's postback."""

from __future__ import annotations

import pytest
import yaml
from django.test import Client

from wallet.networks import NETWORKS

pytestmark = pytest.mark.django_db


def test_schema_documents_api_keys_partner_endpoints_and_postbacks():
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    scheme = schema["components"]["securitySchemes"]["apiKey"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header" and "Api-Key" in scheme["description"]
    paths = schema["paths"]
    for path in [
        "/api/v1/partner/offers/",
        "/api/v1/partner/offers/{offer_id}/",
        "/api/v1/partner/offers/{offer_id}/expire/",
        "/api/v1/partner/reports/daily/",
        "/api/v1/partner/webhooks/",
        "/api/v1/partner/webhooks/{endpoint_id}/",
    ]:
        operations = [op for method, op in paths[path].items() if method in ("get", "post", "patch", "delete")]
        assert operations and all(op["security"] == [{"apiKey": []}] for op in operations), path
    postback = paths["/api/v1/postbacks/{network}/"]["get"]
    for name, spec in NETWORKS.items():
        if name != "manual":
            assert spec.label in postback["description"]
            assert all(f"`{param}`" in postback["description"] for param in spec.fields.values())
    params = {p["name"] for p in postback["parameters"]}
    assert {"subid", "aff_sub", "sub_id", "order_sum", "payout", "payment_sum"} <= params
