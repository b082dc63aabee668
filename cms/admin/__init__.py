"""The cms app's admin, one module per topic: pages, redirects (with slug-rename hooks on the catalogue's
admins) and the support desk."""

from . import pages, redirects, support  # noqa: F401 - importing registers the ModelAdmins
