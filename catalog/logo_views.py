"""``GET /media/stores/<name>.webp``: the uploaded store logos (catalog.logos), served by the site itself so that
they show without a separate media server (gunicorn's DEBUG-off `make run` included). Their names carry a hash
of their bytes, so a browser or CDN may keep them for a year."""

from __future__ import annotations

import re

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

_NAME = re.compile(r"[a-z0-9][A-Za-z0-9_-]{0,240}\.webp")  # storage may add "_<random>" to a taken name


@require_safe
def store_logo(request, name: str):
    path = f"stores/{name}"
    if not _NAME.fullmatch(name) or not default_storage.exists(path):
        raise Http404("No such logo.")
    response = FileResponse(default_storage.open(path, "rb"), content_type="image/webp")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
