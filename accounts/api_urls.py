from django.urls import path

from . import api

urlpatterns = [
    path("token/", api.TokenView.as_view(), name="api-auth-token"),
    path("token/refresh/", api.TokenRefreshView.as_view(), name="api-auth-token-refresh"),
    path("token/revoke/", api.TokenRevokeView.as_view(), name="api-auth-token-revoke"),
    path("me/", api.MeView.as_view(), name="api-auth-me"),
    path("sessions/", api.SessionListView.as_view(), name="api-auth-sessions"),
    path("sessions/<int:session_id>/revoke/", api.SessionRevokeView.as_view(), name="api-auth-session-revoke"),
]
