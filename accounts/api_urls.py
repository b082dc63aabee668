from django.urls import path

from . import api

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-auth-token"),
    path("auth/token/refresh/", api.TokenRefreshView.as_view(), name="api-auth-token-refresh"),
    path("auth/token/revoke/", api.TokenRevokeView.as_view(), name="api-auth-token-revoke"),
    path("auth/me/", api.MeView.as_view(), name="api-auth-me"),
    path("auth/sessions/", api.SessionListView.as_view(), name="api-auth-sessions"),
    path("auth/sessions/<int:session_id>/revoke/", api.SessionRevokeView.as_view(), name="api-auth-session-revoke"),
    path("me/kyc/", api.KycView.as_view(), name="api-auth-kyc"),
    path("notifications/", api.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read-all/", api.NotificationReadAllView.as_view(), name="api-notifications-read-all"),
    path(
        "notifications/<int:notification_id>/read/",
        api.NotificationReadView.as_view(),
        name="api-notification-read",
    ),
]
