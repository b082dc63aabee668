from django.urls import path

from . import api

urlpatterns = [path("referrals/", api.ReferralsView.as_view(), name="api-referrals")]
