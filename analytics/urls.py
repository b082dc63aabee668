from django.contrib import admin
from django.urls import path

from . import views

# Under /admin/analytics/ (couponali/urls.py): admin_view sends anyone who is not active staff to the admin's
# sign-in; the views answer 403 to staff without the analytics permissions.
urlpatterns = [
    path("", admin.site.admin_view(views.dashboard), name="analytics-dashboard"),
    path("export.csv", admin.site.admin_view(views.export_csv), name="analytics-export"),
]
