from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from couponali import health

HEALTH = inline_serializer("Health", {"status": serializers.CharField(), "checks": serializers.DictField()})


class HealthView(APIView):
    """Liveness of the database, Redis and the Celery workers (the same checks as /healthz)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []  # probed by load balancers

    @extend_schema(responses={200: HEALTH, 503: HEALTH})
    def get(self, request):
        ok, checks = health.status()
        return Response({"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503)
