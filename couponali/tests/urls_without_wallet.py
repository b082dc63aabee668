"""A URLconf without the wallet's routes, for test_routing: a cached link must not outlive its URLconf."""

urlpatterns: list = []
