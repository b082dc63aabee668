"""The API's pagination: a cursor over a stable ordering, for every long list.

A cursor (``?cursor=`` from the ``next``/``previous`` links) stays correct while rows are added, costs one indexed
range read per page however deep, and cannot be used to count or skip through a table. ``page_size`` is 50 unless
asked (at most 100). A view chooses its ordering with ``ordering`` (the default) and may let the client pick
another with DRF's OrderingFilter (``?ordering=``), which the cursor follows.
"""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"
    # A page of rows that share one value of the first ordering field is walked with an offset; past this many
    # the cursor is refused rather than reading an ever longer offset.
    offset_cutoff = 1000
